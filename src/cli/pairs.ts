import { randomInt } from 'node:crypto';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Dataset } from '../dataset';
import { ImageResolver } from '../dataset/images';
import type { FormatId } from '../dataset/record';
import { checkExportTargets, exportDataset, type ExportInput, exportFormatSchema, exportOptionsSchema, readDatasetInput } from '../export';
import { isRefusal } from '../export/types';
import { buildPairs, describeSummary, type MadePair, pairSettingsSchema } from '../preferencePairs';
import { backendOptions, chooseBackend } from './backendOptions';
import { checkContext, datasetOptions, imageRootsOption, linesOption, openDatasetFile } from './datasetFile';
import { numberOption, parseOptions } from './modelOptions';
import { UsageError } from './usage';
import { printErr, printOut } from './terminal';

/** The formats the pairs are written in: MPO's own (with meta.json) and TRL's for DPO trainers. */
const pairFormatSchema = exportFormatSchema.extract(['mmpr', 'trl-dpo']);

/**
 * The records as the export gets them: the prompt (question and images) with only the pairs this run made,
 * so neither the record's own response nor an MMPR record's chosen/rejected becomes a line.
 */
function* exportInputs(
  dataset: Dataset,
  made: ReadonlyArray<{ line: number; pairs: MadePair[] }>,
  format: FormatId | undefined,
  refusals: Array<{ line: number; reason: string }>,
): Generator<ExportInput> {
  const at = new Date().toISOString();
  for (const { line, pairs } of made) {
    const input = readDatasetInput(dataset, line, format);
    if (isRefusal(input)) refusals.push({ line, reason: input.refusal });
    else {
      yield {
        ...input,
        parsed: { ...input.parsed, responses: [] },
        annotations: { ...input.annotations, preferencePairs: pairs.map((pair) => ({ ...pair, createdAt: at })) },
      };
    }
  }
}

/**
 * `cot-studio pairs FILE (--model DIR | --endpoint URL) --format mmpr|trl-dpo -o OUT`: MPO's pairs for the records
 * (correctness pairs against a ground truth; with --without-image, continuations without the image for the rest),
 * written as an export of just those pairs. FILE is not changed.
 */
export async function pairs(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...backendOptions,
      'source-format': datasetOptions.format,
      'image-root': datasetOptions['image-root'],
      format: { type: 'string' },
      output: { type: 'string', short: 'o' },
      samples: { type: 'string' },
      'max-pairs': { type: 'string' },
      temperature: { type: 'string' },
      'max-tokens': { type: 'string' },
      seed: { type: 'string' },
      'without-image': { type: 'boolean', default: false },
      lines: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const [file, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'; give one FILE`);
  const format = pairFormatSchema.safeParse(values.format);
  if (!format.success) throw new UsageError(`--format must be one of ${pairFormatSchema.options.join(', ')}`);
  if (!values.output) throw new UsageError('missing -o OUT');
  const settings = parseOptions(pairSettingsSchema, {
    samples: numberOption(values.samples),
    maxPairs: numberOption(values['max-pairs']),
    temperature: numberOption(values.temperature),
    maxTokens: numberOption(values['max-tokens']),
    seed: numberOption(values.seed),
    withoutImage: values['without-image'],
  });
  const choice = chooseBackend(values);
  using dataset = await openDatasetFile(file);
  const output = path.resolve(values.output);
  const datasetDir = path.dirname(path.resolve(file));
  const imageRoots = imageRootsOption(values['image-root']);
  const exportOptions = exportOptionsSchema.parse({ datasetDir, imageRoots, outputPath: output, sourcePath: file });
  // Before any sampling: a run that takes an hour must not learn at its end that it cannot write.
  await checkExportTargets(format.data, exportOptions);
  const forced = checkContext(file, values['source-format'], imageRoots).format;
  const lines = linesOption(dataset, values.lines);
  const seed = settings.seed ?? randomInt(0, 2 ** 31);
  const made: Array<{ line: number; pairs: MadePair[] }> = [];
  const backend = await choice.open(1);
  const summary = await buildPairs({
    job: { backend, settings, images: new ImageResolver(datasetDir, imageRoots) },
    lines,
    lineText: (line) => dataset.lineText(line - 1),
    format: forced,
    seed,
    onPairs: (line, pairs) => made.push({ line, pairs }),
    ...(values.json
      ? {}
      : {
          onRecord: (done: number, line: number, pairs: number) =>
            printErr(`[${done}/${lines.length}] ${file}:${line}: ${pairs} ${pairs === 1 ? 'pair' : 'pairs'}\n`),
        }),
  }).finally(() => backend.dispose());
  for (const failure of summary.failed) printErr(`${file}:${failure.line}: ${failure.reason}\n`);

  const unreadable: Array<{ line: number; reason: string }> = [];
  const result = await exportDataset(format.data, exportInputs(dataset, made, forced, unreadable), exportOptions);
  const refusals = [...unreadable, ...result.refusals].sort((a, b) => a.line - b.line);
  for (const refusal of refusals) printErr(`${file}:${refusal.line}: not exported: ${refusal.reason}\n`);
  if (values.json) printOut(`${JSON.stringify({ ...summary, written: result.written, files: result.files, refusals, leftOut: result.skipped })}\n`);
  else {
    const leftOut = result.skipped > 0 ? `, ${result.skipped} rejected records left out` : '';
    printOut(
      `${file}: ${describeSummary(summary)}\n${result.written} ${format.data} lines written to ${result.files.join(', ')}; ${refusals.length} records refused${leftOut}\n`,
    );
  }
  return summary.failed.length > 0 || refusals.length > 0 ? 1 : 0;
}
