import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import {
  DEFAULT_REFLECTION_MARKERS,
  describeFilters,
  describeLabels,
  exportLineInputs,
  exportFormatSchema,
  exportOptionsSchema,
  type ExportFormat,
  imageModeSchema,
  imageOptionsProblem,
  labelOptionsProblem,
} from '../export';
import { datasetOptions, forcedFormat, imageRootsOption, withDatasetInputs } from './datasetFile';
import { numberOption, parseOptions } from './modelOptions';
import { UsageError } from './usage';
import { printErr, printOut } from './terminal';

const filterOptionsSchema = exportOptionsSchema.pick({ shortestCorrect: true, maxWords: true, cutReflections: true });
const labelOptionsSchema = exportOptionsSchema.pick({ labelSources: true, mcThreshold: true });

/** `--label-sources human,prelabel,mc` (first source first) and `--mc-threshold T`, for the formats that write step labels. */
function labelOptions(format: ExportFormat, sources: string | undefined, threshold: string | undefined): z.infer<typeof labelOptionsSchema> {
  const options = parseOptions(labelOptionsSchema, {
    labelSources: sources?.split(',').map((source) => source.trim()),
    mcThreshold: numberOption(threshold),
  });
  const problem = labelOptionsProblem(format, { labelSources: options.labelSources, mcThreshold: threshold === undefined ? undefined : options.mcThreshold });
  const given = [sources === undefined ? [] : ['--label-sources'], threshold === undefined ? [] : ['--mc-threshold']].flat().join(', ');
  if (problem !== null) throw new UsageError(`${given}: ${problem}`);
  return options;
}

/**
 * `cot-studio export FILE --format F -o OUT`: refusals are listed with their line; any refusal exits 1. The
 * OpenVLThinker filters (`--shortest-correct`, `--max-words N`, `--cut-reflections`) say what they did in the
 * summary, as do records left out, images copied (`--images copy --images-dir DIR`) and, for the step formats,
 * where the step labels came from (`--label-sources`).
 */
export async function exportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      'source-format': datasetOptions.format,
      'image-root': datasetOptions['image-root'],
      format: { type: 'string' },
      output: { type: 'string', short: 'o' },
      images: { type: 'string' },
      'images-dir': { type: 'string' },
      'keep-incorrect': { type: 'boolean', default: false },
      'neutral-label': { type: 'string', default: 'true' },
      'include-rejected': { type: 'boolean', default: false },
      name: { type: 'string' },
      'shortest-correct': { type: 'boolean', default: false },
      'max-words': { type: 'string' },
      'cut-reflections': { type: 'boolean', default: false },
      'reflection-marker': { type: 'string', multiple: true },
      'label-sources': { type: 'string' },
      'mc-threshold': { type: 'string' },
      force: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const [file] = positionals;
  const format = exportFormatSchema.safeParse(values.format);
  if (!format.success) throw new UsageError(`--format must be one of ${exportFormatSchema.options.join(', ')}`);
  if (!values.output) throw new UsageError('missing -o OUT');
  const images = values.images === undefined ? undefined : imageModeSchema.safeParse(values.images).data;
  if (values.images !== undefined && images === undefined) throw new UsageError(`--images must be one of ${imageModeSchema.options.join(', ')}`);
  if (images === 'copy' && values['images-dir'] === undefined) throw new UsageError('--images copy needs --images-dir DIR, the folder to copy them into');
  if (values['images-dir'] !== undefined && images !== 'copy') throw new UsageError('--images-dir is the folder of --images copy');
  const imageProblem = imageOptionsProblem(format.data, { images, imagesDir: values['images-dir'] });
  if (imageProblem !== null) throw new UsageError(`--images ${values.images}: ${imageProblem}`);
  if (values['keep-incorrect'] && format.data !== 'trl-sft') throw new UsageError('--keep-incorrect is for --format trl-sft');
  const imageRoots = imageRootsOption(values['image-root']);
  const imagesDir = values['images-dir'] === undefined ? undefined : path.resolve(values['images-dir']);
  if (values['neutral-label'] !== 'true' && values['neutral-label'] !== 'false') throw new UsageError('--neutral-label must be true or false');
  if (values['reflection-marker'] && !values['cut-reflections']) throw new UsageError('--reflection-marker needs --cut-reflections');
  const filters = parseOptions(filterOptionsSchema, {
    shortestCorrect: values['shortest-correct'],
    maxWords: numberOption(values['max-words']),
    cutReflections: values['cut-reflections'] ? (values['reflection-marker'] ?? DEFAULT_REFLECTION_MARKERS) : undefined,
  });
  const labels = labelOptions(format.data, values['label-sources'], values['mc-threshold']);
  const outputPath = path.resolve(values.output);
  const source = { format: forcedFormat(values['source-format']), rereads: filters.shortestCorrect };
  const result = await withDatasetInputs(file, source, (inputs, name) =>
    exportLineInputs(inputs, format.data, {
      datasetDir: path.dirname(path.resolve(name)),
      imageRoots,
      outputPath,
      sourcePath: name,
      replaceOutput: values.force,
      images,
      imagesDir,
      neutralLabel: values['neutral-label'] === 'true',
      keepIncorrect: values['keep-incorrect'],
      includeRejected: values['include-rejected'],
      datasetName: values.name,
      ...filters,
      ...labels,
    }),
  );
  for (const refusal of result.refusals) printErr(`${file}:${refusal.line}: not exported: ${refusal.reason}\n`);
  const skipped = result.skipped > 0 ? `, ${result.skipped} rejected records left out` : '';
  const incorrect = result.incorrect > 0 ? `, ${result.incorrect} records with a step rated incorrect left out (--keep-incorrect keeps them)` : '';
  const filtered = describeFilters(result.filtered, filters)
    .map((phrase) => `; ${phrase}`)
    .join('');
  const copied = imagesDir === undefined ? '' : `; ${result.imagesCopied} images copied to ${imagesDir}`;
  const stepLabels = describeLabels(result.labels);
  const labelled = stepLabels === null ? '' : `; step labels: ${stepLabels}`;
  printOut(
    `${result.written} ${format.data} lines written to ${result.files.join(', ')}; ${result.refusals.length} records refused${skipped}${incorrect}${filtered}${copied}${labelled}\n`,
  );
  return result.refusals.length > 0 ? 1 : 0;
}
