/** Start and content-end offsets of every line; self-contained so it can also run in a worker thread. */
export function scanLines(bytes: Uint8Array): { starts: Float64Array; ends: Float64Array } {
  // A Buffer view, no copy: Buffer's indexOf is memchr, a Uint8Array's a plain loop several times slower.
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = 0;
  if (bytes.length > 0) {
    count = 1;
    for (let i = view.indexOf(0x0a); i !== -1; i = view.indexOf(0x0a, i + 1)) count++;
    // A final newline ends the last line rather than starting an empty one.
    if (bytes[bytes.length - 1] === 0x0a) count--;
  }
  const starts = new Float64Array(count);
  const ends = new Float64Array(count);
  let start = 0;
  for (let line = 0; line < count; line++) {
    const newline = view.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    starts[line] = start;
    ends[line] = end > start && bytes[end - 1] === 0x0d ? end - 1 : end;
    start = end + 1;
  }
  return { starts, ends };
}

/**
 * Where each line of a file starts and where its content ends (before `\r\n` or `\n`), so any line can
 * be read by number without splitting the whole file into strings.
 */
export class LineIndex {
  constructor(
    private readonly starts: Float64Array,
    private readonly ends: Float64Array,
    private readonly byteLength: number,
  ) {}

  static build(bytes: Uint8Array): LineIndex {
    const { starts, ends } = scanLines(bytes);
    return new LineIndex(starts, ends, bytes.length);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** The byte range of a 0-based line's content, without its line ending. */
  range(line: number): { start: number; end: number } {
    if (line < 0 || line >= this.starts.length) throw new RangeError(`line ${line + 1} is outside 1..${this.starts.length}`);
    return { start: this.starts[line], end: this.ends[line] };
  }

  /** The byte range of a line's ending: `\r\n`, `\n`, or empty for a last line without one. */
  ending(line: number): { start: number; end: number } {
    const { end } = this.range(line);
    const next = line + 1 < this.starts.length ? this.starts[line + 1] : this.byteLength;
    return { start: end, end: next };
  }
}
