import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { Backend } from '../backends/types';
import type { Dataset } from '../dataset';
import type { CheckContext } from '../dataset/checks';
import { DEFAULT_REFLECTION_PHRASE } from '../dataset/annotations';
import { applyOperation, readRecordState } from '../dataset/operations';
import { RecordError } from '../dataset/recordEdit';
import { resolveReply, sideSchema } from '../dataset/replies';
import { seedSchema } from '../random';
import { responseOf } from '../search/segmentPrompt';
import { hasUnlabelledStep, type PrelabelResult, prelabelOperation, prelabelSteps, type StepLabeller } from '../stepLabels/prelabel';
import { backendOptions } from './backendOptions';
import { batchOptions, batchOutput, concurrencySchema, isBatch, lineFacts, readingSettings } from './batchOptions';
import { type BatchJob, runBatch, withLockedOutput } from './batchRun';
import { datasetOptions, linesOption, oneFile, openForModel, recordLine } from './datasetFile';
import { chooseLabeller, labellerOptions } from './labellerOptions';
import { writeChangedLine } from './lineWrite';
import { numberOption, parseOptions } from './modelOptions';
import { type ModelReply, modelReply, type ReplyChoice } from './modelReply';
import { printErr, printOut } from './terminal';

/** `--filter unlabelled`: a step of the reply has neither a rating nor a suggestion. */
const filterSchema = z.enum(['unlabelled', 'unreviewed', 'all']);
type Filter = z.infer<typeof filterSchema>;

const argsSchema = z.object({
  line: z.number().int().min(1).optional(),
  side: sideSchema.default('primary'),
  turn: z.number().int().min(0).optional(),
  seed: seedSchema.optional(),
  filter: filterSchema.default('all'),
  concurrency: concurrencySchema,
});

/** What every record of a run shares: the labeller, the judge its prompts name, and which reply. */
interface PrelabelJob extends ReplyChoice {
  labeller: StepLabeller;
  judge: Backend;
}

/** Suggestions for a record's reply (`target`, read from `lineText`) and its line with them stored (unchanged when there are none). */
async function prelabelLine(
  job: PrelabelJob,
  { record, side, turn }: ModelReply,
  lineText: string,
  line: number,
  seed: number,
): Promise<{ result: PrelabelResult; text: string }> {
  const result = await prelabelSteps(job.labeller, record, { side, turn }, job.judge, { seed });
  if (result.steps.length === 0) return { result, text: lineText };
  const operation = { kind: 'setPrelabels' as const, line, side, turn, ...prelabelOperation(result) };
  const context = { at: new Date().toISOString(), reflectionPhrase: DEFAULT_REFLECTION_PHRASE, ...(job.format ? { format: job.format } : {}) };
  return { result, text: applyOperation(lineText, operation, context).text };
}

const noVerdict = (result: PrelabelResult): string => `the labeller gave no verdict for any of its ${result.missing.length} steps`;

const prelabelCounts = z.object({
  /** Steps given a suggestion. */
  labelled: z.number().int().min(0),
  /** Steps the labeller gave no verdict for. */
  missing: z.number().int().min(0),
  /** Calls to the judge or the reward model. */
  calls: z.number().int().min(0),
});

/** `prelabel --all`'s work on each record: its suggestions stored; a record the labeller gave no verdict on at all fails. */
function prelabelBatch(job: PrelabelJob, command: string): BatchJob<z.infer<typeof prelabelCounts>> {
  return {
    command,
    done: 'prelabelled',
    counts: prelabelCounts,
    zero: { labelled: 0, missing: 0, calls: 0 },
    async run(lineText, line, seed) {
      const { result, text } = await prelabelLine(job, modelReply(lineText, job), lineText, line, seed);
      const counts = { labelled: result.steps.length, missing: result.missing.length, calls: result.calls };
      return result.steps.length === 0 ? { failed: noVerdict(result), spent: counts } : { text, counts };
    },
    describe: (counts) => `${counts.labelled} steps labelled${counts.missing > 0 ? `, ${counts.missing} without a verdict` : ''}`,
    describeTotals: (totals) => `${totals.labelled} steps labelled, ${totals.missing} without a verdict, ${totals.calls} calls`,
  };
}

/** Whether `--filter` takes the record on a 1-based line. */
function filterSelects(filter: Filter, dataset: Dataset, checks: CheckContext, reply: ReplyChoice): (line: number) => boolean {
  const target = { side: reply.side, ...(reply.turn === undefined ? {} : { turn: reply.turn }) };
  return (line) => {
    if (filter === 'all') return true;
    if (filter === 'unreviewed') return lineFacts(dataset, checks, line).review === 'unreviewed';
    try {
      const { parsed, annotations } = readRecordState(dataset.lineText(line - 1), reply.format);
      return hasUnlabelledStep(annotations, resolveReply(parsed, target));
    } catch (error) {
      // A record that cannot be read is selected, so the run reports why it was not labelled.
      if (error instanceof RecordError) return true;
      throw error;
    }
  };
}

const LABEL_NAMES = { '1': 'correct', '0': 'neutral', '-1': 'incorrect' } as const;

/** One line per step: its index, the suggested label and the labeller's confidence, then the step's name. */
function formatResult(result: PrelabelResult, stepNames: readonly string[]): string {
  const suggested = new Map(result.steps.map((step) => [step.index, step]));
  const rows = stepNames.map((name, index) => {
    const step = suggested.get(index);
    const label = step ? LABEL_NAMES[step.label] : 'no verdict';
    const confidence = step?.confidence === undefined ? '-' : step.confidence.toFixed(2);
    return `${String(index).padStart(3)}  ${label.padEnd(10)}  ${confidence.padStart(4)}  ${name}\n`;
  });
  const { method, backend, model } = result.labeller;
  return `${rows.join('')}--- ${result.steps.length} of ${stepNames.length} steps labelled by ${method} (${model ?? backend}), ${result.calls} calls\n`;
}

/**
 * `cot-studio prelabel FILE --line N [--json] [--write]`: suggested labels for the steps of one record's reply from the
 * step judge (the model or server given) or a process reward model, printed and with --write stored beside the
 * ratings (which stay the annotator's); with --all or --lines, for every selected record into a copy.
 */
export async function prelabel(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...datasetOptions,
      ...backendOptions,
      ...labellerOptions,
      ...batchOptions,
      side: { type: 'string' },
      turn: { type: 'string' },
      seed: { type: 'string' },
      filter: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const file = oneFile(positionals);
  const batch = isBatch(file, values);
  const settings = parseOptions(argsSchema, {
    line: numberOption(values.line),
    side: values.side,
    turn: numberOption(values.turn),
    seed: numberOption(values.seed),
    filter: values.filter,
    concurrency: numberOption(values.concurrency),
  });
  const choice = chooseLabeller(values);
  const { dataset: opened, checks, imageRoots, images } = await openForModel(file, values);
  using dataset = opened;
  const reply = { side: settings.side, turn: settings.turn, format: checks.format, images };
  const concurrency = settings.concurrency ?? choice.concurrency;
  const open = async <T>(work: (job: PrelabelJob) => Promise<T>): Promise<T> => {
    const { labeller, judge } = await choice.open(concurrency);
    try {
      return await work({ ...reply, labeller, judge });
    } finally {
      await judge.dispose();
    }
  };

  if (batch) {
    const output = await batchOutput(file, values.output, 'prelabelled');
    const { filter } = settings;
    const lines = linesOption(dataset, values.lines).filter(filterSelects(filter, dataset, checks, reply));
    const command = `cot-studio prelabel ${values.all ? '--all' : '--lines'}`;
    const journaled = { ...readingSettings(values.lines, reply, imageRoots), ...choice.settings, '--filter': filter };
    const selection = `${values.lines === undefined ? '' : `--lines ${values.lines}, `}--filter ${filter}`;
    const run = { file, dataset, output, lines, selection, concurrency, seed: settings.seed, settings: journaled, json: values.json };
    return await withLockedOutput(output, command, () => open((job) => runBatch(run, prelabelBatch(job, command))));
  }

  const line = recordLine(dataset, file, settings.line, '--all or --lines for many records');
  if (values.write) dataset.assertRewritable(line - 1);
  const lineText = dataset.lineText(line - 1);
  // A record that cannot be read, or has no such reply, is found before the model loads.
  const target = modelReply(lineText, reply);
  const stepNames = responseOf(target.record, target).segments.map((segment) => segment.label);
  const { result, text } = await open((job) => prelabelLine(job, target, lineText, line, settings.seed ?? 0));
  printOut(values.json ? `${JSON.stringify(result)}\n` : formatResult(result, stepNames));
  if (result.steps.length === 0) {
    printErr(`${file}:${line}: ${noVerdict(result)}\n`);
    return 1;
  }
  if (values.write) {
    await writeChangedLine(file, line, lineText, text, 'cot-studio prelabel --write');
    if (!values.json) printOut(`${file}:${line}: stored ${result.steps.length} suggested labels\n`);
  }
  return 0;
}
