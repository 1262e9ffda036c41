import { fileCheckContext } from '../checks';
import type { Dataset } from '../dataset';
import type { FormatId } from '../record';
import { tallyDataset } from '../validate';
import type { StatsPart } from './protocol';

/** Checks and counts every record of a dataset read from `file` (all of it, or one range of its lines). */
export function tallyRecords(file: string, dataset: Dataset, options: { format?: FormatId; imageRoots: string[] }): StatsPart {
  const tally = tallyDataset(dataset, fileCheckContext(file, options.imageRoots, options.format));
  return { stats: tally.result(), responses: tally.responseCount };
}
