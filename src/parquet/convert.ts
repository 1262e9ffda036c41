import * as path from 'node:path';
import { atomicWrite } from '../files/atomicWrite';
import { textChunks } from '../files/textChunks';
import type { TargetOptions } from '../files/writeTarget';
import { dataUriSink, imageFolder, imageFolderSink } from './imageFiles';
import { isParquetPath, jsonlToParquet, type JsonlToParquetOptions } from './jsonlToParquet';
import { type EmbeddedSink, readParquetRecords } from './readParquet';
import { stringifyValue } from './value';

export interface ConvertOptions extends TargetOptions, JsonlToParquetOptions {}

export interface ConvertResult {
  records: number;
  /** Files written beside a JSONL output for the bytes its Parquet input embedded. */
  files: number;
  /** Their folder, when there are any. */
  folder?: string;
}

export { isParquetPath };
export const isJsonlPath = (file: string): boolean => /\.jsonl$/i.test(file);

/** Converts a `.jsonl` file to `.parquet` or back, by the names' extensions; the output is written atomically. */
export async function convertDataset(input: string, output: string, options: ConvertOptions): Promise<ConvertResult> {
  const target: TargetOptions = { notSameAs: [input, ...(options.notSameAs ?? [])], replaceSpecial: options.replaceSpecial };
  const result: ConvertResult = { records: 0, files: 0 };
  if (isJsonlPath(input) && isParquetPath(output)) {
    await atomicWrite(output, jsonlToParquet(input, options, result), target);
    return result;
  }
  if (isParquetPath(input) && isJsonlPath(output)) {
    const { folder } = imageFolder(output);
    const toFolder = imageFolderSink(output);
    const sink: EmbeddedSink =
      options.images === 'embed'
        ? dataUriSink
        : (embedded) => {
            result.files++;
            result.folder = folder;
            return toFolder(embedded);
          };
    await atomicWrite(output, textChunks(parquetToJsonl(input, sink, result)), target);
    return result;
  }
  throw new Error(`convert goes from .jsonl to .parquet or from .parquet to .jsonl, not from ${path.basename(input)} to ${path.basename(output)}`);
}

/** A Parquet file's rows as JSONL lines, one row group in memory at a time. */
export async function* parquetToJsonl(file: string, sink: EmbeddedSink, result?: ConvertResult): AsyncGenerator<string> {
  for await (const { record } of readParquetRecords(file, sink)) {
    if (result) result.records++;
    yield `${stringifyValue(record)}\n`;
  }
}
