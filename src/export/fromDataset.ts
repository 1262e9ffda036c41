import type { Dataset } from '../dataset';
import type { FormatId } from '../dataset/record';
import { exportDataset, type ExportResult } from './exportDataset';
import { readDatasetInput } from './input';
import type { ExportFormat, ExportInput, ExportOptions } from './types';

/**
 * Exports every record of a dataset (its current text, unsaved edits included). Lines that cannot be read
 * as records are refused with their reason, like records the format cannot express. The records are read
 * afresh on each pass over them (the shortest-correct filter makes two), so none is held in memory.
 */
export async function exportDatasetRecords(dataset: Dataset, format: ExportFormat, options: ExportOptions, forced?: FormatId): Promise<ExportResult> {
  const unreadable = new Map<number, string>();
  const inputs: Iterable<ExportInput> = {
    *[Symbol.iterator]() {
      for (let index = 0; index < dataset.recordCount; index++) {
        const line = dataset.recordLine(index) + 1;
        const input = readDatasetInput(dataset, line, forced);
        if ('refusal' in input) unreadable.set(line, input.refusal);
        else yield input;
      }
    },
  };
  const result = await exportDataset(format, inputs, options);
  result.refusals = [...[...unreadable].map(([line, reason]) => ({ line, reason })), ...result.refusals].sort((a, b) => a.line - b.line);
  return result;
}
