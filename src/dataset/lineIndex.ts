import { isUtf8 } from 'node:buffer';

/** The lines one stretch of a scan found, in file order: appended to a `LineIndex` as they come. */
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
  /** Where the next line starts: every line before it is in this stretch or an earlier one. */
  indexedTo: number;
  /** The last stretch: the scan reached the end of the bytes. */
  complete: boolean;
  /** In the last stretch, true when the last line has no `\n` (the file may still be writing it). */
  lastLineOpen: boolean;
}

/** Where a scan starts: the start of a line (the byte after a `\n`), and that line's 0-based number. */
export interface ScanStart {
  position: number;
  line: number;
  /** Known from the file's first bytes when the scan does not start there. */
  bomLength: number;
}

/** Takes a file's bytes a chunk at a time, in order, and hands on the lines each chunk ends. */
export interface LineScanner {
  /** The bytes at `position`, which follow the last chunk pushed (or start the scan). */
  push(bytes: Uint8Array, position: number): void;
  /** After the last chunk: ends the last line and emits the last stretch. */
  end(): void;
}

/**
 * Scans the bytes from `from` to `byteLength` as they are pushed, a chunk at a time, without ever holding more
 * than a chunk: a line longer than a chunk is carried over as a position, not as bytes, so a pushed chunk's
 * buffer may be filled again as soon as `push` returns. The lines each chunk ends go to `emit` with how far the
 * file has been read, so the first lines can be used while the rest are scanned. `head` holds the file's first
 * bytes (at least 3 when it has them) when the scan starts at 0, for the byte order mark. Self-contained
 * (`isUtf8` is passed in) so that a worker thread can run the same code from its source.
 */
export function lineScanner(
  byteLength: number,
  isUtf8: (bytes: Uint8Array) => boolean,
  emit: (lines: ScannedLines, read: number) => void,
  from: ScanStart,
  head: Uint8Array,
): LineScanner {
  let starts: number[] = [];
  let ends: number[] = [];
  let records: number[] = [];
  let invalidUtf8: number[] = [];
  let lineCount = from.line;
  let bomLength = from.bomLength;
  if (from.position === 0) bomLength = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  let lineStart = from.position;
  let lineHasContent = false;
  /** The byte before the current chunk, for a `\r` whose `\n` starts the next one. */
  let previousByte = -1;
  /** A character's first bytes at the end of the last chunk, checked with the rest of it. */
  let carry = new Uint8Array(0);
  let carryStart = 0;

  const endLine = (end: number, carriageReturn: boolean): void => {
    starts.push(lineStart);
    ends.push(end > lineStart && carriageReturn ? end - 1 : end);
    if (lineHasContent) records.push(lineCount);
    lineCount++;
  };
  const flush = (read: number, complete: boolean, lastLineOpen: boolean): void => {
    emit(
      {
        starts: Float64Array.from(starts),
        ends: Float64Array.from(ends),
        records: Uint32Array.from(records),
        bomLength,
        invalidUtf8: Float64Array.from(invalidUtf8),
        indexedTo: complete ? byteLength : lineStart,
        complete,
        lastLineOpen,
      },
      read,
    );
    starts = [];
    ends = [];
    records = [];
    invalidUtf8 = [];
  };
  // UTF-8 is checked a chunk at a time, each cut before a character's first byte: a character split between
  // two chunks is checked whole, and a newline (never inside a character) keeps every line's verdict exact.
  // The carried bytes are a first byte and continuation bytes, never a newline, so a line's failed ranges are
  // emitted with the line or before it.
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

  /** Finds the lines of a slice and checks its UTF-8, while its bytes are still in the processor's cache. */
  const scanSlice = (bytes: Uint8Array, position: number): void => {
    const length = bytes.length;
    // A Buffer view, no copy: Buffer's indexOf is memchr, a Uint8Array's a plain loop several times slower.
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let searchFrom = 0;
    for (;;) {
      const newline = view.indexOf(0x0a, searchFrom);
      const segmentEnd = newline === -1 ? length : newline;
      if (!lineHasContent) {
        const contentFrom = lineCount === 0 ? Math.max(searchFrom, bomLength - position) : searchFrom;
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
      searchFrom = newline + 1;
    }
    checkUtf8(bytes, position, position + length >= byteLength);
    previousByte = bytes[length - 1];
  };
  // A chunk is scanned a megabyte at a time: its two passes (newlines, UTF-8) then read the slice from the
  // cache the first one filled, not twice from memory.
  const SLICE_BYTES = 1024 * 1024;

  return {
    push(bytes: Uint8Array, position: number): void {
      for (let offset = 0; offset < bytes.length; offset += SLICE_BYTES) scanSlice(bytes.subarray(offset, offset + SLICE_BYTES), position + offset);
      if (position + bytes.length < byteLength) flush(position + bytes.length, false, false);
    },
    end(): void {
      // A final newline ends the last line rather than starting an empty one.
      const lastLineOpen = lineStart < byteLength;
      if (lastLineOpen) endLine(byteLength, previousByte === 0x0d);
      flush(byteLength, true, lastLineOpen);
    },
  };
}

/**
 * Scans the bytes from `from` to `byteLength`, read `chunkBytes` at a time by `readChunk(position, length)`,
 * on this thread.
 */
export function scanChunks(
  byteLength: number,
  readChunk: (position: number, length: number) => Uint8Array,
  chunkBytes: number,
  isUtf8: (bytes: Uint8Array) => boolean,
  emit: (lines: ScannedLines, read: number) => void,
  from: ScanStart = { position: 0, line: 0, bomLength: 0 },
): void {
  const head = from.position === 0 ? new Uint8Array(readChunk(0, Math.min(3, byteLength))) : new Uint8Array(0);
  const scanner = lineScanner(byteLength, isUtf8, emit, from, head);
  for (let position = from.position; position < byteLength; position += chunkBytes)
    scanner.push(readChunk(position, Math.min(chunkBytes, byteLength - position)), position);
  scanner.end();
}

/** Pushes the chunks (read ahead, `readAhead`) to the scanner, from `from` on, and ends the scan. Self-contained, for the index worker. */
export async function scanAhead(scanner: LineScanner, chunks: AsyncIterable<Uint8Array>, from: number): Promise<void> {
  let position = from;
  for await (const chunk of chunks) {
    scanner.push(chunk, position);
    position += chunk.length;
  }
  scanner.end();
}

/**
 * Whether a line's content (`bytes`, or its [start, end)) holds no record: spaces, tabs and carriage returns only, as the scanner decides (which
 * checks the same bytes inline, being run from its source by the index worker).
 */
export function isBlankLine(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  for (let at = start; at < end; at++) if (bytes[at] !== 0x20 && bytes[at] !== 0x09 && bytes[at] !== 0x0d) return false;
  return true;
}

/** Room for this many lines when an index starts; it grows as lines are added. */
const FIRST_CAPACITY = 1024;
/** Room kept beyond the lines a file is expected to hold, from the bytes per line seen so far. */
const ESTIMATE_SLACK = 1.02;

/**
 * Where each line of a file starts and where its content ends (before `\r\n` or `\n`), which lines hold a
 * record, and where the bytes may not be UTF-8, so any line can be read by number without splitting the
 * whole file into strings.
 */
export class LineIndex {
  private starts = new Float64Array(FIRST_CAPACITY);
  /**
   * The length of each line's ending (`\r\n` 2, `\n` 1, none 0): its content ends that many bytes before the next
   * line starts. A byte where a second offset would take eight keeps the index at 13 bytes a line.
   */
  private endings = new Uint8Array(FIRST_CAPACITY);
  private records = new Uint32Array(FIRST_CAPACITY);
  /** The size of what is being indexed, when known: room is then made for the lines it is expected to hold. */
  private expectedBytes = 0;
  private lines = 0;
  private recordTotal = 0;
  private invalidUtf8: number[] = [];
  private indexedTo = 0;
  private bom = 0;
  private done = false;
  private lastLineOpen = false;

  /**
   * The index of bytes in memory, scanned in one piece; `atFileStart` false for a stretch from inside a file,
   * whose first bytes are a line's, never a byte order mark.
   */
  static build(bytes: Uint8Array, atFileStart = true): LineIndex {
    const index = new LineIndex();
    const scanner = lineScanner(
      bytes.length,
      isUtf8,
      (lines) => index.append(lines),
      { position: 0, line: 0, bomLength: 0 },
      atFileStart ? bytes.subarray(0, 3) : new Uint8Array(0),
    );
    if (bytes.length > 0) scanner.push(bytes, 0);
    scanner.end();
    return index;
  }

  /** Tells the index how many bytes it will hold, so that it grows to about the lines they hold rather than by doubling. */
  expect(byteLength: number): void {
    this.expectedBytes = byteLength;
  }

  /** Adds the lines of the next stretch of the scan. */
  append(lines: ScannedLines): void {
    const count = lines.starts.length;
    if (this.lines + count > this.starts.length) this.grow(this.lines + count, lines.indexedTo);
    this.starts.set(lines.starts, this.lines);
    for (let i = 0; i < count; i++) {
      const next = i + 1 < count ? lines.starts[i + 1] : lines.indexedTo;
      this.endings[this.lines + i] = next - lines.ends[i];
    }
    this.records.set(lines.records, this.recordTotal);
    this.lines += count;
    this.recordTotal += lines.records.length;
    for (const bound of lines.invalidUtf8) this.invalidUtf8.push(bound);
    this.indexedTo = lines.indexedTo;
    this.bom = lines.bomLength;
    this.done = lines.complete;
    this.lastLineOpen = lines.lastLineOpen;
  }

  /**
   * Makes room for at least `needed` lines: for the lines the whole file is expected to hold at the bytes per
   * line seen so far (up to `indexedTo`) when its size is known, else double, so that adding n lines costs O(n)
   * copies in all and a finished index holds little unused room.
   */
  private grow(needed: number, indexedTo: number): void {
    let capacity = this.starts.length;
    while (capacity < needed) capacity *= 2;
    if (this.expectedBytes > indexedTo && indexedTo > 0) {
      const expected = Math.ceil((needed * this.expectedBytes * ESTIMATE_SLACK) / indexedTo);
      capacity = Math.max(needed, Math.min(capacity * 4, expected));
    }
    const starts = new Float64Array(capacity);
    starts.set(this.starts.subarray(0, this.lines));
    const endings = new Uint8Array(capacity);
    endings.set(this.endings.subarray(0, this.lines));
    // Records are never more than lines.
    const records = new Uint32Array(capacity);
    records.set(this.records.subarray(0, this.recordTotal));
    this.starts = starts;
    this.endings = endings;
    this.records = records;
  }

  /**
   * Where a scan of bytes added after the end starts, and the index ready for its lines: a last line without
   * a `\n` (still being written) is taken off, to be scanned again whole.
   */
  reopen(): ScanStart {
    if (!this.done) throw new Error('the line index is still being built');
    this.done = false;
    if (this.lastLineOpen) {
      this.lastLineOpen = false;
      this.lines--;
      if (this.recordTotal > 0 && this.records[this.recordTotal - 1] === this.lines) this.recordTotal--;
      this.indexedTo = this.starts[this.lines];
      // Ranges that failed the UTF-8 check inside the reopened line are checked again with its new bytes.
      const kept: number[] = [];
      for (let i = 0; i < this.invalidUtf8.length; i += 2) {
        if (this.invalidUtf8[i] < this.indexedTo) kept.push(this.invalidUtf8[i], Math.min(this.invalidUtf8[i + 1], this.indexedTo));
      }
      this.invalidUtf8 = kept;
    }
    return { position: this.indexedTo, line: this.lines, bomLength: this.bom };
  }

  /**
   * The index of these bytes with the lines of `changed` rewritten (each line's new content, without its ending
   * or the byte order mark, in bytes that are UTF-8), worked out from this index without reading the result:
   * what a save wrote. Offsets after a rewritten line move by the change in its length; endings stay.
   */
  rewritten(changed: ReadonlyMap<number, Uint8Array>): LineIndex {
    if (!this.done) throw new Error('the line index is still being built');
    const lines = [...changed.keys()].sort((a, b) => a - b);
    // shifts[i]: how far the lines after lines[i] move (the changes up to and including lines[i]).
    const shifts: number[] = [];
    let shift = 0;
    for (const line of lines) {
      const { start, end } = this.range(line);
      shift += (line === 0 ? this.bom : 0) + (changed.get(line)?.length ?? 0) - (end - start);
      shifts.push(shift);
    }
    /** How far line `line` moves: by the changes of the lines before it. */
    const shiftOf = (line: number): number => {
      let low = 0;
      let high = lines.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (lines[middle] < line) low = middle + 1;
        else high = middle;
      }
      return low === 0 ? 0 : shifts[low - 1];
    };
    const index = new LineIndex();
    index.starts = this.starts.slice(0, this.lines);
    for (let at = 0; at < lines.length; at++) {
      const until = at + 1 < lines.length ? lines[at + 1] + 1 : this.lines;
      for (let line = lines[at] + 1; line < until; line++) index.starts[line] += shifts[at];
    }
    index.endings = this.endings.slice(0, this.lines);
    // The records are the old ones with the rewritten lines in or out as they are now blank or not, merged in
    // order into one typed array: a list of millions of numbers would cost several times the index.
    const added = lines.filter((line) => !isBlankLine(changed.get(line) ?? new Uint8Array(0)));
    if (added.length === lines.length && lines.every((line) => this.recordIndexOf(line) !== -1)) {
      // The usual save: every rewritten line was a record and still is, so the records are as they were.
      index.records = this.records.slice(0, this.recordTotal);
      index.recordTotal = this.recordTotal;
    } else {
      index.records = new Uint32Array(this.recordTotal + added.length);
      let next = 0;
      for (const line of this.recordLines) {
        while (next < added.length && added[next] < line) index.records[index.recordTotal++] = added[next++];
        if (!changed.has(line)) index.records[index.recordTotal++] = line;
      }
      while (next < added.length) index.records[index.recordTotal++] = added[next++];
    }
    index.lines = this.lines;
    // A failed range is kept where its bytes moved to, widened over a rewritten line inside it: it only marks
    // lines to check again, and the rewritten lines are UTF-8.
    const lineAt = (position: number): number => {
      let low = 0;
      let high = this.lines - 1;
      while (low < high) {
        const middle = (low + high + 1) >>> 1;
        if (this.starts[middle] <= position) low = middle;
        else high = middle - 1;
      }
      return low;
    };
    for (let i = 0; i < this.invalidUtf8.length; i += 2) {
      const first = lineAt(this.invalidUtf8[i]);
      const last = lineAt(Math.max(this.invalidUtf8[i], this.invalidUtf8[i + 1] - 1));
      const start = changed.has(first) ? index.starts[first] : this.invalidUtf8[i] + shiftOf(first);
      const end = changed.has(last)
        ? index.starts[last] + (last === 0 ? this.bom : 0) + (changed.get(last)?.length ?? 0)
        : this.invalidUtf8[i + 1] + shiftOf(last);
      index.invalidUtf8.push(start, end);
    }
    index.indexedTo = this.indexedTo + shift;
    index.bom = this.bom;
    index.done = true;
    index.lastLineOpen = this.lastLineOpen;
    return index;
  }

  /** True once the scan reached the end of the bytes; until then lines are added as they are scanned. */
  get complete(): boolean {
    return this.done;
  }

  /** True when the last line has no `\n` after it: appended bytes continue it. */
  get endsInOpenLine(): boolean {
    return this.lastLineOpen;
  }

  get lineCount(): number {
    return this.lines;
  }

  /** The bytes indexed: all of them once complete, up to the start of the next line while scanning. */
  get byteLength(): number {
    return this.indexedTo;
  }

  get bomLength(): number {
    return this.bom;
  }

  /** 0-based numbers of the lines that hold a record (every line that is not blank). A view: read it again after lines are added. */
  get recordLines(): Uint32Array {
    return this.records.subarray(0, this.recordTotal);
  }

  /** The lines that hold a record, so far. */
  get recordCount(): number {
    return this.recordTotal;
  }

  /** The 0-based line of the record at a 0-based record index (which must be below `recordCount`). */
  recordLine(index: number): number {
    return this.records[index];
  }

  /** The record index of a 0-based line by binary search, or -1 when the line holds no record. */
  recordIndexOf(line: number): number {
    let low = 0;
    let high = this.recordTotal;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.records[middle] < line) low = middle + 1;
      else high = middle;
    }
    return low < this.recordTotal && this.records[low] === line ? low : -1;
  }

  /** The byte range of a 0-based line's content, without its line ending. */
  range(line: number): { start: number; end: number } {
    if (line < 0 || line >= this.lines) throw new RangeError(`line ${line + 1} is outside 1..${this.lines}`);
    const next = line + 1 < this.lines ? this.starts[line + 1] : this.indexedTo;
    return { start: this.starts[line], end: next - this.endings[line] };
  }

  /** The byte range of a line's ending: `\r\n`, `\n`, or empty for a last line without one. */
  ending(line: number): { start: number; end: number } {
    const { end } = this.range(line);
    const next = line + 1 < this.lines ? this.starts[line + 1] : this.indexedTo;
    return { start: end, end: next };
  }

  /** False when every byte of [start, end) passed the UTF-8 check; true when some of them must be looked at. */
  mayBeInvalidUtf8(start: number, end: number): boolean {
    const ranges = this.invalidUtf8;
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
