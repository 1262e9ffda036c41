import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { exportDatasetRecords, exportFormatSchema } from '../export';
import { checkContext, datasetOptions, openDatasetFile } from './datasetFile';
import { UsageError } from './usage';

/** `cot-studio export FILE --format F -o OUT`: refusals are listed with their line; any refusal exits 1. */
export async function exportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      'source-format': datasetOptions.format,
      format: { type: 'string' },
      output: { type: 'string', short: 'o' },
      images: { type: 'string', default: 'path' },
      'neutral-label': { type: 'string', default: 'true' },
      'include-rejected': { type: 'boolean', default: false },
      name: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [file] = positionals;
  const format = exportFormatSchema.safeParse(values.format);
  if (!format.success) throw new UsageError(`--format must be one of ${exportFormatSchema.options.join(', ')}`);
  if (!values.output) throw new UsageError('missing -o OUT');
  if (values.images !== 'path' && values.images !== 'data-uri') throw new UsageError('--images must be path or data-uri');
  if (values['neutral-label'] !== 'true' && values['neutral-label'] !== 'false') throw new UsageError('--neutral-label must be true or false');
  const dataset = await openDatasetFile(file);
  const forced = checkContext(file, values['source-format'], undefined).format;
  const result = await exportDatasetRecords(
    dataset,
    format.data,
    {
      datasetDir: path.dirname(path.resolve(file)),
      outputPath: path.resolve(values.output),
      images: values.images,
      neutralLabel: values['neutral-label'] === 'true',
      includeRejected: values['include-rejected'],
      datasetName: values.name,
    },
    forced,
  );
  for (const refusal of result.refusals) process.stderr.write(`${file}:${refusal.line}: not exported: ${refusal.reason}\n`);
  const skipped = result.skipped > 0 ? `, ${result.skipped} rejected records left out` : '';
  process.stdout.write(`${result.written} ${format.data} lines written to ${result.files.join(', ')}; ${result.refusals.length} records refused${skipped}\n`);
  return result.refusals.length > 0 ? 1 : 0;
}
