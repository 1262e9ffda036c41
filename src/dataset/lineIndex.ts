const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Where each line of a file starts and where its content ends (before `\r\n` or `\n`), so any line can
 * be read by number without splitting the whole file into strings.
 */
export class LineIndex {
  private constructor(
    private readonly starts: Float64Array,
    private readonly ends: Float64Array,
  ) {}

  static build(bytes: Uint8Array): LineIndex {
    let count = 1;
    for (let i = bytes.indexOf(NEWLINE); i !== -1; i = bytes.indexOf(NEWLINE, i + 1)) count++;
    // A final newline ends the last line rather than starting an empty one.
    if (bytes.length > 0 && bytes[bytes.length - 1] === NEWLINE) count--;
    if (bytes.length === 0) count = 0;
    const starts = new Float64Array(count);
    const ends = new Float64Array(count);
    let start = 0;
    for (let line = 0; line < count; line++) {
      const newline = bytes.indexOf(NEWLINE, start);
      const end = newline === -1 ? bytes.length : newline;
      starts[line] = start;
      ends[line] = end > start && bytes[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
      start = end + 1;
    }
    return new LineIndex(starts, ends);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** The byte range of a 0-based line's content, without its line ending. */
  range(line: number): { start: number; end: number } {
    if (line < 0 || line >= this.starts.length) throw new RangeError(`line ${line + 1} is outside 1..${this.starts.length}`);
    return { start: this.starts[line], end: this.ends[line] };
  }
}
