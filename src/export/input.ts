import { readAnnotations, readRecord, RecordError } from '../dataset/recordEdit';
import { parseRecord } from '../dataset/formats';
import type { FormatId } from '../dataset/record';
import type { ExportInput, Refusal } from './types';

/**
 * One line of a dataset as an export reads it: record, parsed form and annotations, or why it cannot be
 * read (not JSON, unknown format, malformed annotations), which an export reports like any refusal.
 */
export function readExportInput(lineText: string, line: number, format?: FormatId): ExportInput | Refusal {
  try {
    const record = readRecord(lineText);
    const parsed = parseRecord(record, format);
    if ('error' in parsed) return { refusal: parsed.error };
    return { line, record, parsed, annotations: readAnnotations(record) };
  } catch (error) {
    if (error instanceof RecordError) return { refusal: error.message };
    throw error;
  }
}
