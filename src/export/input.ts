import type { Dataset } from '../dataset';
import { readAnnotations, readRecord, RecordError } from '../dataset/recordEdit';
import { parseRecord } from '../dataset/formats';
import type { FormatId } from '../dataset/record';
import { describeInvalidUtf8 } from '../dataset/utf8';
import type { ExportInput, Refusal } from './types';

/** What an export reads from a line of its source: the record, or why the line is not one it can read. */
export type LineInput = ExportInput | (Refusal & { line: number });

/**
 * One line of a dataset as an export reads it: record, parsed form and annotations, or why it cannot be
 * read (not JSON, unknown format, malformed annotations), which an export reports like any refusal.
 */
export function readExportInput(lineText: string, line: number, format?: FormatId): LineInput {
  try {
    const record = readRecord(lineText);
    const parsed = parseRecord(record, format);
    if ('error' in parsed) return { line, refusal: parsed.error };
    return { line, record, parsed, annotations: readAnnotations(record, parsed) };
  } catch (error) {
    if (error instanceof RecordError) return { line, refusal: error.message };
    throw error;
  }
}

/**
 * The record on a 1-based line of a dataset (its current text). A line whose bytes are not UTF-8 is refused:
 * its text holds U+FFFD where the file has other bytes, and exporting it would change the data unseen.
 */
export function readDatasetInput(dataset: Dataset, line: number, format?: FormatId): LineInput {
  const invalid = dataset.invalidUtf8(line - 1);
  if (invalid) return { line, refusal: `${describeInvalidUtf8(invalid)}; fix the bytes in a text editor` };
  return readExportInput(dataset.lineText(line - 1), line, format);
}
