import type { Dataset } from '../dataset';
import type { FormatId } from '../dataset/record';
import { exportDataset, type ExportResult } from './exportDataset';
import { type LineInput, readDatasetInput } from './input';
import { type ExportFormat, type ExportInput, type ExportOptions, isRefusal } from './types';

/**
 * Exports every record of a dataset (its current text, unsaved edits included). The records are read afresh
 * on each pass over them (the shortest-correct filter makes two), so none is held in memory.
 */
export function exportDatasetRecords(dataset: Dataset, format: ExportFormat, options: ExportOptions, forced?: FormatId): Promise<ExportResult> {
  const inputs: Iterable<LineInput> = {
    *[Symbol.iterator]() {
      for (let index = 0; index < dataset.recordCount; index++) yield readDatasetInput(dataset, dataset.recordLine(index) + 1, forced);
    },
  };
  return exportLineInputs(inputs, format, options);
}

/**
 * Exports the records read from a source's lines (a dataset, a file streamed a block at a time). Lines that
 * cannot be read as records are refused with their reason, like records the format cannot express. `inputs`
 * must start over on each pass, as `exportDataset` says.
 */
export async function exportLineInputs(
  inputs: Iterable<LineInput> | AsyncIterable<LineInput>,
  format: ExportFormat,
  options: ExportOptions,
): Promise<ExportResult> {
  const unreadable = new Map<number, string>();
  const records: AsyncIterable<ExportInput> = {
    async *[Symbol.asyncIterator]() {
      for await (const input of inputs) {
        if (isRefusal(input)) unreadable.set(input.line, input.refusal);
        else yield input;
      }
    },
  };
  const result = await exportDataset(format, records, options);
  result.refusals = [...[...unreadable].map(([line, reason]) => ({ line, reason })), ...result.refusals].sort((a, b) => a.line - b.line);
  return result;
}
