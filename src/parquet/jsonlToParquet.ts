import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { atomicWrite } from '../files/atomicWrite';
import { temporaryPath } from '../files/temporaryFiles';
import type { TargetOptions } from '../files/writeTarget';
import { embedImages, sourceImages } from './imageFiles';
import { readJsonlRecords } from './jsonlRecords';
import { observeRecord, recordShape } from './shape';
import { parquetBytes, type SizedRecord } from './writeParquet';

export const isParquetPath = (file: string): boolean => /\.parquet$/i.test(file);

export interface JsonlToParquetOptions {
  /**
   * Images in the output: `path` keeps (JSONL -> Parquet) or writes out and refers to (Parquet -> JSONL) image
   * files; `embed` stores their bytes in the output (Hugging Face `{bytes, path}` structs in Parquet, data
   * URIs in JSONL).
   */
  images: 'embed' | 'path';
  /** Folders besides the input's where images named by records are found (JSONL -> Parquet with `embed`). */
  imageRoots?: readonly string[];
}

/**
 * A JSONL file's records as Parquet bytes. The file is read twice, a line at a time: once for the columns and
 * their types (see `schemaOf`), once to write them, so memory holds one row group and never the file.
 */
export async function* jsonlToParquet(file: string, options: JsonlToParquetOptions, result?: { records: number }): AsyncGenerator<Uint8Array> {
  const resolver = options.images === 'embed' ? sourceImages(file, options.imageRoots ?? []) : undefined;
  async function* records(readBytes: boolean): AsyncGenerator<SizedRecord> {
    for await (const { line, record, bytes } of readJsonlRecords(file)) {
      if (resolver === undefined) {
        yield { record, bytes };
        continue;
      }
      const embedded = embedImages(file, line, record, resolver, readBytes);
      yield { record: embedded.record, bytes: bytes + embedded.bytes };
    }
  }
  const shape = recordShape();
  for await (const { record } of records(false)) observeRecord(shape, record);
  // The row count of a Parquet file is its columns' length: rows without columns would be lost.
  if (shape.seen > 0 && shape.fields.size === 0) throw new Error(`${file}: every record is {}; a Parquet file cannot hold rows without columns`);
  yield* parquetBytes(shape, records(true));
  if (result) result.records = shape.seen;
}

/**
 * Writes JSONL lines as a Parquet file at `target`: the lines go to a temporary file beside it first (the
 * columns are known only once every line is), which is read back into the Parquet bytes that `atomicWrite`
 * renames into place; the temporary file is removed either way.
 */
export async function writeLinesAsParquet(target: string, lines: AsyncIterable<Uint8Array>, options: TargetOptions): Promise<number> {
  const staging = temporaryPath(path.resolve(target));
  try {
    await fs.writeFile(staging, lines, { flag: 'wx' });
    return await atomicWrite(target, jsonlToParquet(staging, { images: 'path' }), options);
  } finally {
    await fs.rm(staging, { force: true });
  }
}
