import * as fs from 'node:fs';

/** How much is read at a time while looking for the line end after a cut. */
const WINDOW_BYTES = 64 * 1024;

/** The first offset at or after `from` that starts a line (just after a newline), or `size` when none does. */
function nextLineStart(fd: number, from: number, size: number): number {
  const window = Buffer.allocUnsafe(WINDOW_BYTES);
  for (let position = from; position < size; position += WINDOW_BYTES) {
    const read = fs.readSync(fd, window, 0, WINDOW_BYTES, position);
    const newline = window.subarray(0, read).indexOf(0x0a);
    if (newline !== -1) return position + newline + 1;
    if (read === 0) break;
  }
  return size;
}

/** Cuts a file of `size` bytes into about `count` ranges [start, end) of whole lines, reading only near the cuts. */
export function lineRanges(fd: number, size: number, count: number): [number, number][] {
  const ranges: [number, number][] = [];
  let start = 0;
  for (let piece = 1; piece <= count && start < size; piece++) {
    const end = piece === count ? size : nextLineStart(fd, Math.max(start, Math.floor((size * piece) / count)), size);
    if (end > start) ranges.push([start, end]);
    start = end;
  }
  return ranges;
}
