import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ImageResolver } from '../dataset/images';
import { DEFAULT_REFLECTION_PHRASE } from '../dataset/annotations';
import { applyOperation, readRecordState } from '../dataset/operations';
import { resolveReply, sideSchema } from '../dataset/replies';
import { responseOf, withModelImages } from '../search/segmentPrompt';
import { monteCarloOptionsSchema, monteCarloScores } from '../stepLabels/monteCarlo';
import { backendOptions, chooseBackend } from './backendOptions';
import { checkContext, datasetOptions, imageRootsOption, openDatasetFile, recordLine } from './datasetFile';
import { writeChangedLine } from './lineWrite';
import { numberOption, parseOptions } from './modelOptions';
import { printOut } from './terminal';
import { UsageError } from './usage';

const argsSchema = monteCarloOptionsSchema.extend({
  line: z.number().int().min(1).optional(),
  side: sideSchema.default('primary'),
  turn: z.number().int().min(0).optional(),
});

/**
 * `cot-studio mc-score FILE --line N [--rollouts K] [--binary] [--json] [--write]`: Monte Carlo step scores of one
 * record's response (Math-Shepherd's K completions per step prefix, checked against the record's ground truth), with
 * the local model or an OpenAI-compatible server as the policy; --write stores them beside the steps.
 */
export async function mcScore(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...datasetOptions,
      ...backendOptions,
      line: { type: 'string' },
      side: { type: 'string' },
      turn: { type: 'string' },
      rollouts: { type: 'string' },
      binary: { type: 'boolean', default: false },
      temperature: { type: 'string' },
      'max-tokens': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const [file, extra] = positionals;
  if (file === undefined) throw new UsageError('give one FILE');
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'; give one FILE`);
  const settings = parseOptions(argsSchema, {
    line: numberOption(values.line),
    side: values.side,
    turn: numberOption(values.turn),
    rollouts: numberOption(values.rollouts),
    search: values.binary ? 'binary' : 'linear',
    temperature: numberOption(values.temperature),
    maxTokens: numberOption(values['max-tokens']),
    seed: numberOption(values.seed),
  });
  const choice = chooseBackend(values);
  const imageRoots = imageRootsOption(values['image-root']);
  using dataset = await openDatasetFile(file);
  const checks = checkContext(file, values.format, imageRoots);
  dataset.format = checks.format;
  const line = recordLine(dataset, file, settings.line);
  if (values.write) dataset.assertRewritable(line - 1);
  const lineText = dataset.lineText(line - 1);
  const parsed = readRecordState(lineText, checks.format).parsed;
  if (parsed.groundTruth === null) throw new UsageError(`--line: the record on line ${line} has no ground truth to check completions against`);
  // Records name images relative to the dataset's folder, not to where the command runs.
  const images = new ImageResolver(path.dirname(path.resolve(file)), imageRoots);
  const record = withModelImages(parsed, (paths) => images.forModel(paths));
  const { side, turn } = resolveReply(record, { side: settings.side, ...(settings.turn === undefined ? {} : { turn: settings.turn }) });
  const backend = await choice.open(1);
  try {
    const result = await monteCarloScores(backend, record, { side, turn }, settings);
    if (values.json) {
      printOut(`${JSON.stringify(result)}\n`);
    } else {
      const { segments } = responseOf(record, { side, turn });
      for (const step of result.steps) {
        const label = segments[step.index]?.label ?? `step ${step.index}`;
        printOut(`${String(step.index).padStart(3)}  ${step.score.toFixed(2)}  ${step.correct}/${step.total}  ${label}\n`);
      }
      const first = result.firstError === null ? 'none: every step leads to the answer' : `step ${result.firstError}`;
      printOut(`--- ${result.rollouts} rollouts by ${result.policy}; first error: ${first}\n`);
    }
    if (values.write) {
      const steps = result.steps.map(({ index, score, correct, total }) => ({ segment: index, score, correct, total }));
      const operation = { kind: 'setStepScores' as const, line, side, turn, steps, policy: result.policy, rollouts: result.rollouts };
      const context = { at: new Date().toISOString(), reflectionPhrase: DEFAULT_REFLECTION_PHRASE, ...(checks.format ? { format: checks.format } : {}) };
      await writeChangedLine(file, line, lineText, applyOperation(lineText, operation, context).text, 'cot-studio mc-score --write');
      if (!values.json) printOut(`${file}:${line}: stored ${steps.length} step scores\n`);
    }
    return 0;
  } finally {
    await backend.dispose();
  }
}
