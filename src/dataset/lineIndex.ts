import { isUtf8 } from 'node:buffer';

/** What one pass over a file finds: its lines, which of them hold a record, its byte order mark, and where its bytes may not be UTF-8. */
export interface ScannedLines {
  /** Where each line starts, and where its content ends (before `\r\n` or `\n`). */
  starts: Float64Array;
  ends: Float64Array;
  /** 0-based numbers of the lines that are not blank (spaces, tabs and carriage returns only). */
  records: Uint32Array;
  /** 3 when the file starts with a UTF-8 byte order mark, otherwise 0. */
  bomLength: number;
  /** [start, end) pairs of byte ranges that failed the UTF-8 check; every byte outside them is UTF-8. */
  invalidUtf8: Float64Array;
  byteLength: number;
}

/**
 * Scans `byteLength` bytes, read `chunkBytes` at a time by `readChunk(position, length)`, without ever holding
 * more than a chunk: a line longer than a chunk is carried over as a position, not as bytes. Self-contained
 * (`isUtf8` is passed in) so that a worker thread can run the same code from its source.
 */
export function scanChunks(
  byteLength: number,
  readChunk: (position: number, length: number) => Uint8Array,
  chunkBytes: number,
  isUtf8: (bytes: Uint8Array) => boolean,
  onChunk?: (scanned: number) => void,
): ScannedLines {
  let capacity = 1024;
  let starts = new Float64Array(capacity);
  let ends = new Float64Array(capacity);
  let records = new Uint32Array(capacity);
  let lineCount = 0;
  let recordCount = 0;
  const invalidUtf8: number[] = [];
  const head = byteLength >= 3 ? readChunk(0, 3) : new Uint8Array(0);
  const bomLength = head.length === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  let lineStart = 0;
  let lineHasContent = false;
  /** The byte before the current chunk, for a `\r` whose `\n` starts the next one. */
  let previousByte = -1;
  /** A character's first bytes at the end of the last chunk, checked with the rest of it. */
  let carry = new Uint8Array(0);
  let carryStart = 0;

  const grow = (): void => {
    capacity *= 2;
    const moved = (from: Float64Array): Float64Array<ArrayBuffer> => {
      const to = new Float64Array(capacity);
      to.set(from);
      return to;
    };
    starts = moved(starts);
    ends = moved(ends);
    const recordsMoved = new Uint32Array(capacity);
    recordsMoved.set(records);
    records = recordsMoved;
  };
  const endLine = (end: number, carriageReturn: boolean): void => {
    if (lineCount === capacity) grow();
    starts[lineCount] = lineStart;
    ends[lineCount] = end > lineStart && carriageReturn ? end - 1 : end;
    if (lineHasContent) records[recordCount++] = lineCount;
    lineCount++;
  };
  // UTF-8 is checked a chunk at a time, each cut before a character's first byte: a character split between
  // two chunks is checked whole, and a newline (never inside a character) keeps every line's verdict exact.
  const checkUtf8 = (bytes: Uint8Array, position: number, last: boolean): void => {
    let cut = bytes.length;
    if (!last) {
      for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 4); i--) {
        if ((bytes[i] & 0xc0) === 0x80) continue;
        if (bytes[i] >= 0xc0) cut = i;
        break;
      }
    }
    let rest = 0;
    if (carry.length > 0) {
      while (rest < cut && (bytes[rest] & 0xc0) === 0x80) rest++;
      const joined = new Uint8Array(carry.length + rest);
      joined.set(carry);
      joined.set(bytes.subarray(0, rest), carry.length);
      if (!isUtf8(joined)) invalidUtf8.push(carryStart, position + rest);
    }
    if (rest < cut && !isUtf8(bytes.subarray(rest, cut))) invalidUtf8.push(position + rest, position + cut);
    // A copy: the reader may fill the same buffer with the next chunk (and a Buffer's slice is a view).
    carry = new Uint8Array(bytes.subarray(cut));
    carryStart = position + cut;
  };

  for (let position = 0; position < byteLength; position += chunkBytes) {
    const length = Math.min(chunkBytes, byteLength - position);
    const bytes = readChunk(position, length);
    // A Buffer view, no copy: Buffer's indexOf is memchr, a Uint8Array's a plain loop several times slower.
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let from = 0;
    for (;;) {
      const newline = view.indexOf(0x0a, from);
      const segmentEnd = newline === -1 ? length : newline;
      if (!lineHasContent) {
        const contentFrom = lineCount === 0 ? Math.max(from, bomLength - position) : from;
        for (let i = contentFrom; i < segmentEnd; i++) {
          const byte = bytes[i];
          if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) {
            lineHasContent = true;
            break;
          }
        }
      }
      if (newline === -1) break;
      endLine(position + newline, (newline > 0 ? bytes[newline - 1] : previousByte) === 0x0d);
      lineStart = position + newline + 1;
      lineHasContent = false;
      from = newline + 1;
    }
    checkUtf8(bytes, position, position + length >= byteLength);
    previousByte = bytes[length - 1];
    onChunk?.(position + length);
  }
  // A final newline ends the last line rather than starting an empty one.
  if (lineStart < byteLength) endLine(byteLength, previousByte === 0x0d);
  return {
    starts: starts.slice(0, lineCount),
    ends: ends.slice(0, lineCount),
    records: records.slice(0, recordCount),
    bomLength,
    invalidUtf8: Float64Array.from(invalidUtf8),
    byteLength,
  };
}

/**
 * Where each line of a file starts and where its content ends (before `\r\n` or `\n`), which lines hold a
 * record, and where the bytes may not be UTF-8, so any line can be read by number without splitting the
 * whole file into strings.
 */
export class LineIndex {
  constructor(private readonly scanned: ScannedLines) {}

  /** The index of bytes in memory, scanned in one piece. */
  static build(bytes: Uint8Array): LineIndex {
    return new LineIndex(scanChunks(bytes.length, (position, length) => bytes.subarray(position, position + length), Math.max(1, bytes.length), isUtf8));
  }

  get lineCount(): number {
    return this.scanned.starts.length;
  }

  get byteLength(): number {
    return this.scanned.byteLength;
  }

  get bomLength(): number {
    return this.scanned.bomLength;
  }

  /** 0-based numbers of the lines that hold a record (every line that is not blank). */
  get recordLines(): Uint32Array {
    return this.scanned.records;
  }

  /** The byte range of a 0-based line's content, without its line ending. */
  range(line: number): { start: number; end: number } {
    const { starts, ends } = this.scanned;
    if (line < 0 || line >= starts.length) throw new RangeError(`line ${line + 1} is outside 1..${starts.length}`);
    return { start: starts[line], end: ends[line] };
  }

  /** The byte range of a line's ending: `\r\n`, `\n`, or empty for a last line without one. */
  ending(line: number): { start: number; end: number } {
    const { end } = this.range(line);
    const next = line + 1 < this.scanned.starts.length ? this.scanned.starts[line + 1] : this.scanned.byteLength;
    return { start: end, end: next };
  }

  /** False when every byte of [start, end) passed the UTF-8 check; true when some of them must be looked at. */
  mayBeInvalidUtf8(start: number, end: number): boolean {
    const ranges = this.scanned.invalidUtf8;
    // The first failed range that ends after `start`, found by binary search over the [start, end) pairs.
    let low = 0;
    let high = ranges.length / 2;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (ranges[2 * middle + 1] <= start) low = middle + 1;
      else high = middle;
    }
    return low < ranges.length / 2 && ranges[2 * low] < end;
  }
}
