import { parseArgs } from 'node:util';
import { convertDataset, isJsonlPath, isParquetPath } from '../parquet/convert';
import { readingDatasetFile, STANDARD_INPUT } from './datasetFile';
import { printOut } from './terminal';
import { UsageError } from './usage';

/** `cot-studio convert IN OUT [--images embed|path]`: JSONL to Parquet or back, by the files' extensions. */
export async function convert(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      images: { type: 'string', default: 'path' },
      'image-root': { type: 'string', multiple: true },
      force: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const [input, output, ...rest] = positionals;
  if (input === undefined || output === undefined || rest.length > 0) throw new UsageError('convert takes IN and OUT');
  // Both directions read the input twice or at random places: standard input cannot be.
  if (input === STANDARD_INPUT) throw new UsageError('convert reads a file, not standard input');
  if (!((isJsonlPath(input) && isParquetPath(output)) || (isParquetPath(input) && isJsonlPath(output)))) {
    throw new UsageError(`convert goes from .jsonl to .parquet or from .parquet to .jsonl; got ${input} -> ${output}`);
  }
  if (values.images !== 'embed' && values.images !== 'path') throw new UsageError('--images must be embed or path');
  readingDatasetFile(input, (name) => name);
  const result = await convertDataset(input, output, { images: values.images, imageRoots: values['image-root'] ?? [], replaceSpecial: values.force });
  const files = result.folder === undefined ? '' : `; ${result.files} embedded files written to ${result.folder}`;
  printOut(`${result.records} records written to ${output}${files}\n`);
  return 0;
}
