import type { Dataset } from './dataset';

/**
 * The 1-based lines of the records a run visits: the ones asked for, each checked to hold a record, or every
 * record of the dataset.
 */
export function recordLines(dataset: Dataset, lines: readonly number[] | undefined): number[] {
  if (lines === undefined) return Array.from({ length: dataset.recordCount }, (_, index) => dataset.recordLine(index) + 1);
  for (const line of lines) {
    if (dataset.recordIndexOfLine(line - 1) === -1) {
      throw new Error(`${dataset.fileName} has no record on line ${line} (${dataset.lineCount} lines)`);
    }
  }
  return [...new Set(lines)].sort((a, b) => a - b);
}
