import * as fs from 'node:fs';
import * as path from 'node:path';
import { BufferSource } from '../../files/byteSource';
import { lineBlocks } from '../../files/lineBlocks';
import { type CheckContext, fileCheckContext } from '../checks';
import { Dataset } from '../dataset';
import { LineIndex } from '../lineIndex';
import type { FormatId } from '../record';
import { tallyDataset } from '../validate';
import { mergeStatsParts } from './merge';
import type { StatsPart } from './protocol';

export interface TallyOptions {
  format?: FormatId;
  imageRoots: string[];
  /** How much of a range is read at a time; small only in tests, to put lines across blocks. */
  blockBytes?: number;
}

/** A range is read this much at a time: each block of whole lines is tallied, then let go. */
const BLOCK_BYTES = 4 * 1024 * 1024;

function tallyWith(dataset: Dataset, context: CheckContext): StatsPart {
  const tally = tallyDataset(dataset, context);
  return { stats: tally.result(), responses: tally.responseCount };
}

/** Checks and counts every record of a dataset read from `file`. */
export function tallyRecords(file: string, dataset: Dataset, options: TallyOptions): StatsPart {
  return tallyWith(dataset, fileCheckContext(file, options.imageRoots, options.format));
}

/**
 * Checks and counts the records of the whole lines in [start, end) of `file`, read in blocks of whole lines: a
 * block's lines are views of its bytes, so a line is neither copied nor looked up twice, and memory holds a
 * block, never the range.
 */
export async function tallyRange(file: string, start: number, end: number, options: TallyOptions): Promise<StatsPart> {
  const context = fileCheckContext(file, options.imageRoots, options.format);
  const name = path.basename(file);
  // Each block's tally is merged into the running one at once, so the tallies kept do not grow with the range.
  let tallied: StatsPart | undefined;
  if (end > start) {
    const blocks = lineBlocks(fs.createReadStream(file, { start, end: end - 1, highWaterMark: options.blockBytes ?? BLOCK_BYTES }));
    for await (const block of blocks) {
      const lines = LineIndex.build(block, start === 0 && tallied === undefined);
      const part = tallyWith(Dataset.ofIndexed(name, { source: new BufferSource(block), lines }), context);
      tallied = tallied ? { stats: mergeStatsParts(name, [tallied, part]), responses: tallied.responses + part.responses } : part;
    }
  }
  return tallied ?? tallyWith(Dataset.fromBytes(name, new Uint8Array(0)), context);
}
