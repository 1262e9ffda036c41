import * as fs from 'node:fs';
import { LineIndex } from '../dataset/lineIndex';
import { describeJson, type Json } from '../dataset/record';
import { describeInvalidUtf8, findInvalidUtf8 } from '../dataset/utf8';
import { lineBlocks } from '../files/lineBlocks';
import { isValueObject, parseJsonText, type Value, type ValueObject } from './value';
import { errorMessage } from '../errors/message';

export interface JsonlRecord {
  /** 1-based line of the file. */
  line: number;
  record: ValueObject;
  /** The line's length in bytes: what a batch of records weighs. */
  bytes: number;
}

/** A line that is not a record; the message names the file and the line. */
export class RecordLineError extends Error {}

const READ_BYTES = 1 << 20;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The records of a JSONL file, one line at a time, so that memory holds a block of lines and not the file.
 * Blank lines are skipped (but counted); a line that is not UTF-8, not JSON or not an object stops the read
 * with an error naming the file and the line.
 */
export async function* readJsonlRecords(file: string): AsyncGenerator<JsonlRecord> {
  let linesBefore = 0;
  for await (const block of lineBlocks(fs.createReadStream(file, { highWaterMark: READ_BYTES }))) {
    const lines = LineIndex.build(block);
    for (let index = 0; index < lines.lineCount; index++) {
      const { start, end } = lines.range(index);
      const record = parseLine(file, linesBefore + index + 1, block.subarray(start, end));
      if (record) yield record;
    }
    linesBefore += lines.lineCount;
  }
}

function parseLine(file: string, line: number, raw: Buffer): JsonlRecord | undefined {
  const bytes = line === 1 && raw.subarray(0, 3).equals(BOM) ? raw.subarray(3) : raw;
  const invalid = findInvalidUtf8(bytes);
  if (invalid) throw new RecordLineError(`${file}:${line}: ${describeInvalidUtf8(invalid)}`);
  const text = bytes.toString('utf8');
  if (text.trim() === '') return undefined;
  let value: Value;
  try {
    value = parseJsonText(text);
  } catch (error) {
    throw new RecordLineError(`${file}:${line}: not JSON: ${errorMessage(error)}`);
  }
  if (!isValueObject(value))
    throw new RecordLineError(`${file}:${line}: a record must be a JSON object, found ${typeof value === 'bigint' ? 'a number' : describeJson(value as Json)}`);
  return { line, record: value, bytes: raw.length };
}
