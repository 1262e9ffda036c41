import { Dataset } from '../dataset';
import type { FormatId } from '../dataset/record';
import { lineBlocks } from '../files/lineBlocks';
import { dataUriSink } from '../parquet/imageFiles';
import { readParquetRecords } from '../parquet/readParquet';
import { stringifyValue } from '../parquet/value';
import { type LineInput, readDatasetInput, readExportInput } from './input';

const NEWLINE = Buffer.from('\n');

/**
 * The records of a JSONL byte stream, a block of lines at a time, each block read as the editor's dataset
 * reads a file: the same line numbers, blank lines skipped, the same refusals for lines that are not records.
 * `open` gives the stream afresh on each pass over the records (the shortest-correct filter makes two), so
 * memory holds a block and never the file.
 */
export function jsonlInputs(name: string, open: () => AsyncIterable<Uint8Array>, format?: FormatId): AsyncIterable<LineInput> {
  return {
    async *[Symbol.asyncIterator]() {
      let linesBefore = 0;
      let lead = 0;
      for await (const block of lineBlocks(open())) {
        // A block after the first is read behind the newline that ends the line before it, so that its first
        // line is not taken for the file's first, the only one whose byte order mark is not part of it.
        const dataset = Dataset.fromBytes(name, lead === 0 ? block : Buffer.concat([NEWLINE, block]));
        for (let index = 0; index < dataset.recordCount; index++) {
          const blockLine = dataset.recordLine(index);
          yield { ...readDatasetInput(dataset, blockLine + 1, format), line: linesBefore + blockLine - lead + 1 };
        }
        linesBefore += dataset.lineCount - lead;
        lead = 1;
      }
    },
  };
}

/**
 * A Parquet file's rows as the read commands load them (row N as line N, embedded files as data URIs), one
 * row group in memory at a time, read afresh on each pass.
 */
export function parquetInputs(file: string, format?: FormatId): AsyncIterable<LineInput> {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const { row, record } of readParquetRecords(file, dataUriSink)) yield readExportInput(stringifyValue(record), row, format);
    },
  };
}
