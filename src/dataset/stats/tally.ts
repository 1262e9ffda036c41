import * as path from 'node:path';
import { fileCheckContext } from '../checks';
import { Dataset } from '../dataset';
import type { FormatId } from '../record';
import { tallyDataset } from '../validate';
import type { StatsPart } from './protocol';

/** Checks and counts every record of whole lines of `file` (all of it, or one chunk). */
export function tallyRecords(file: string, bytes: Uint8Array, options: { format?: FormatId; imageRoots: string[] }): StatsPart {
  const tally = tallyDataset(Dataset.fromBytes(path.basename(file), bytes), fileCheckContext(file, options.imageRoots, options.format));
  return { stats: tally.result(), responses: tally.responseCount };
}
