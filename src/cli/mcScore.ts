import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { Backend } from '../backends/types';
import { DEFAULT_REFLECTION_PHRASE } from '../dataset/annotations';
import { applyOperation } from '../dataset/operations';
import { sideSchema } from '../dataset/replies';
import { responseOf } from '../search/segmentPrompt';
import { type MonteCarloOptions, type MonteCarloResult, monteCarloOptionsSchema, monteCarloScores } from '../stepLabels/monteCarlo';
import { backendOptions, chooseBackend } from './backendOptions';
import { batchOptions, batchOutput, concurrencySchema, isBatch, readingSettings } from './batchOptions';
import { type BatchJob, runBatch, withLockedOutput } from './batchRun';
import { datasetOptions, linesOption, oneFile, openForModel, recordLine } from './datasetFile';
import { writeChangedLine } from './lineWrite';
import { numberOption, parseOptions } from './modelOptions';
import { type ModelReply, modelReply, type ReplyChoice } from './modelReply';
import { printOut } from './terminal';
import { UsageError } from './usage';

const argsSchema = monteCarloOptionsSchema.extend({
  line: z.number().int().min(1).optional(),
  side: sideSchema.default('primary'),
  turn: z.number().int().min(0).optional(),
  concurrency: concurrencySchema,
});

/** What every record of a run shares: the policy, how it rolls out, and which reply. */
interface ScoreJob extends ReplyChoice {
  backend: Backend;
  options: Omit<MonteCarloOptions, 'seed'>;
}

/** A reply's step scores and its line with them stored beside the steps (the ratings stay). */
async function scoreLine(
  job: ScoreJob,
  { record, side, turn }: ModelReply,
  lineText: string,
  line: number,
  seed: number,
): Promise<{ result: MonteCarloResult; text: string }> {
  const result = await monteCarloScores(job.backend, record, { side, turn }, { ...job.options, seed });
  const steps = result.steps.map(({ index, score, correct, total }) => ({ segment: index, score, correct, total }));
  const operation = { kind: 'setStepScores' as const, line, side, turn, steps, policy: result.policy, rollouts: result.rollouts };
  const context = { at: new Date().toISOString(), reflectionPhrase: DEFAULT_REFLECTION_PHRASE, ...(job.format ? { format: job.format } : {}) };
  return { result, text: applyOperation(lineText, operation, context).text };
}

const NO_GROUND_TRUTH = 'no ground truth';

const scoreCounts = z.object({
  /** Steps given a score. */
  steps: z.number().int().min(0),
  rollouts: z.number().int().min(0),
  tokensComputed: z.number().min(0),
});

/** `mc-score --all`'s work on each record: its step scores stored; a record without a ground truth to check against is skipped. */
function scoreBatch(job: ScoreJob, command: string): BatchJob<z.infer<typeof scoreCounts>> {
  return {
    command,
    done: 'scored',
    counts: scoreCounts,
    zero: { steps: 0, rollouts: 0, tokensComputed: 0 },
    async run(lineText, line, seed) {
      const target = modelReply(lineText, job);
      if (target.record.groundTruth === null) return { skipped: NO_GROUND_TRUTH };
      const { result, text } = await scoreLine(job, target, lineText, line, seed);
      return { text, counts: { steps: result.steps.length, rollouts: result.rollouts, tokensComputed: result.tokensComputed } };
    },
    describe: (counts) => `${counts.steps} steps scored from ${counts.rollouts} rollouts`,
    describeTotals: (totals) => `${totals.steps} steps scored, ${totals.rollouts} rollouts, ${totals.tokensComputed} tokens computed`,
  };
}

/** One line per step estimated: its index, score, correct of total, then its name; the first error last. */
function formatResult(result: MonteCarloResult, stepNames: readonly string[]): string {
  const rows = result.steps.map(
    (step) => `${String(step.index).padStart(3)}  ${step.score.toFixed(2)}  ${step.correct}/${step.total}  ${stepNames[step.index] ?? `step ${step.index}`}\n`,
  );
  const first = result.firstError === null ? 'none: every step leads to the answer' : `step ${result.firstError}`;
  return `${rows.join('')}--- ${result.rollouts} rollouts by ${result.policy}; first error: ${first}\n`;
}

/**
 * `cot-studio mc-score FILE --line N [--rollouts K] [--binary] [--json] [--write]`: Monte Carlo step scores of one
 * record's response (Math-Shepherd's K completions per step prefix, checked against the record's ground truth), with
 * the local model or an OpenAI-compatible server as the policy; --write stores them beside the steps. With --all or
 * --lines, for every selected record that has a ground truth, into a copy.
 */
export async function mcScore(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...datasetOptions,
      ...backendOptions,
      ...batchOptions,
      side: { type: 'string' },
      turn: { type: 'string' },
      rollouts: { type: 'string' },
      binary: { type: 'boolean', default: false },
      temperature: { type: 'string' },
      'max-tokens': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const file = oneFile(positionals);
  const batch = isBatch(file, values);
  const {
    seed,
    line: lineOption,
    side,
    turn,
    concurrency: concurrencyOption,
    ...options
  } = parseOptions(argsSchema, {
    line: numberOption(values.line),
    side: values.side,
    turn: numberOption(values.turn),
    rollouts: numberOption(values.rollouts),
    search: values.binary ? 'binary' : 'linear',
    temperature: numberOption(values.temperature),
    maxTokens: numberOption(values['max-tokens']),
    seed: numberOption(values.seed),
    concurrency: numberOption(values.concurrency),
  });
  const choice = chooseBackend(values);
  const { dataset: opened, checks, imageRoots, images } = await openForModel(file, values);
  using dataset = opened;
  const reply = { side, turn, format: checks.format, images };
  const concurrency = concurrencyOption ?? (batch ? choice.concurrency : 1);
  const open = async <T>(work: (job: ScoreJob) => Promise<T>): Promise<T> => {
    const backend = await choice.open(concurrency);
    try {
      return await work({ ...reply, backend, options });
    } finally {
      await backend.dispose();
    }
  };

  if (batch) {
    const output = await batchOutput(file, values.output, 'scored');
    const command = `cot-studio mc-score ${values.all ? '--all' : '--lines'}`;
    const journaled = {
      ...readingSettings(values.lines, reply, imageRoots),
      '--rollouts': options.rollouts,
      '--binary': options.search === 'binary',
      '--temperature': options.temperature,
      '--max-tokens': options.maxTokens,
      '--model/--endpoint': choice.key,
    };
    const lines = linesOption(dataset, values.lines);
    const selection = values.lines === undefined ? 'every record' : `--lines ${values.lines}`;
    // --seed given or not decides whether a journal's seed is adopted: the schema's default of 0 does not.
    const run = {
      file,
      dataset,
      output,
      lines,
      selection,
      concurrency,
      seed: values.seed === undefined ? undefined : seed,
      settings: journaled,
      json: values.json,
    };
    return await withLockedOutput(output, command, () => open((job) => runBatch(run, scoreBatch(job, command))));
  }

  const line = recordLine(dataset, file, lineOption, '--all or --lines for many records');
  if (values.write) dataset.assertRewritable(line - 1);
  const lineText = dataset.lineText(line - 1);
  const target = modelReply(lineText, reply);
  if (target.record.groundTruth === null) throw new UsageError(`--line: the record on line ${line} has no ground truth to check completions against`);
  const { result, text } = await open((job) => scoreLine(job, target, lineText, line, seed));
  const stepNames = responseOf(target.record, target).segments.map((segment) => segment.label);
  printOut(values.json ? `${JSON.stringify(result)}\n` : formatResult(result, stepNames));
  if (values.write) {
    await writeChangedLine(file, line, lineText, text, 'cot-studio mc-score --write');
    if (!values.json) printOut(`${file}:${line}: stored ${result.steps.length} step scores\n`);
  }
  return 0;
}
