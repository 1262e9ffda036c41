import * as path from 'node:path';
import { isUtf8 } from 'node:buffer';
import { FileSource, readAhead } from '../../files/byteSource';
import { lineBlocks } from '../../files/lineBlocks';
import { type CheckContext, checkLine, fileCheckContext } from '../checks';
import type { Dataset } from '../dataset';
import type { FormatId } from '../record';
import { isBlankLine } from '../lineIndex';
import { findInvalidUtf8 } from '../utf8';
import { StatsTally, tallyDataset } from '../validate';
import type { StatsPart } from './protocol';

export interface TallyOptions {
  format?: FormatId;
  imageRoots: string[];
  /** How much of a range is read at a time; small only in tests, to put lines across blocks. */
  blockBytes?: number;
}

/** A range is read this much at a time, into two buffers in turn: each block of whole lines is tallied, then let go. */
const BLOCK_BYTES = 4 * 1024 * 1024;

/** Checks and counts every record of a dataset read from `file`. */
export function tallyRecords(file: string, dataset: Dataset, options: TallyOptions): StatsPart {
  const tally = tallyDataset(dataset, fileCheckContext(file, options.imageRoots, options.format));
  return { stats: tally.result(), responses: tally.responseCount };
}

/** The lines and records of a range read so far, which its tally reports. */
interface RangeLines {
  fileName: string;
  lineCount: number;
  recordCount: number;
}

/**
 * Checks and counts the lines of a block of whole lines, as the dataset reads them: a line without its line
 * ending (and the file's byte order mark), blank when it holds only spaces, tabs and carriage returns, and its
 * invalid UTF-8 looked for only when the block has some.
 */
function tallyBlock(block: Buffer, fileStart: boolean, lines: RangeLines, tally: StatsTally, context: CheckContext): void {
  const wellFormed = isUtf8(block);
  let start = fileStart && block[0] === 0xef && block[1] === 0xbb && block[2] === 0xbf ? 3 : 0;
  while (start < block.length) {
    const newline = block.indexOf(0x0a, start);
    const lineEnd = newline === -1 ? block.length : newline;
    // A carriage return before the line's end is its ending's, as the line index reads it (the file's last line too).
    const end = lineEnd > start && block[lineEnd - 1] === 0x0d ? lineEnd - 1 : lineEnd;
    lines.lineCount++;
    if (!isBlankLine(block, start, end)) {
      lines.recordCount++;
      tally.add(checkLine(block.toString('utf8', start, end), context, wellFormed ? undefined : findInvalidUtf8(block.subarray(start, end))));
    }
    start = lineEnd + 1;
  }
}

/**
 * Checks and counts the records of the whole lines in [start, end) of `file`. The range is read ahead into two
 * buffers in turn (fresh buffers for every read cost page faults and collections) and cut into blocks of whole
 * lines; each line is decoded from its block's bytes, so memory holds two buffers and a line, never the range.
 */
export async function tallyRange(file: string, start: number, end: number, options: TallyOptions): Promise<StatsPart> {
  const context: CheckContext = { ...fileCheckContext(file, options.imageRoots, options.format), ranges: false };
  const lines: RangeLines = { fileName: path.basename(file), lineCount: 0, recordCount: 0 };
  const tally = new StatsTally(lines);
  if (end > start) {
    const source = FileSource.open(file);
    try {
      const chunks = readAhead((buffer, from, length) => source.readInto(buffer, from, length), [{ start, end }], options.blockBytes ?? BLOCK_BYTES);
      let fileStart = start === 0;
      for await (const block of lineBlocks(chunks)) {
        tallyBlock(block, fileStart, lines, tally, context);
        fileStart = false;
      }
    } finally {
      source.close();
    }
  }
  return { stats: tally.result(), responses: tally.responseCount };
}
