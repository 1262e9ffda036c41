import { isUtf8 } from 'node:buffer';
import type { RecordSummary } from '../protocol';
import { indexBytes } from './indexWorker';
import { LineIndex } from './lineIndex';
import type { FormatId } from './record';
import { summarizeLine } from './recordSummary';
import { describeInvalidUtf8, findInvalidUtf8, type InvalidUtf8 } from './utf8';

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const SUMMARY_CACHE_LIMIT = 5000;

/** One line changed by an operation: its full content before and after (line ending excluded). */
export interface LineChange {
  /** 0-based line number. */
  line: number;
  before: string;
  after: string;
}

/**
 * A JSONL dataset: the file's bytes as read, a line index, and the lines changed since (an overlay).
 * Untouched lines are never decoded and re-encoded, so they are written back byte for byte; records
 * (non-blank lines) are parsed only when asked for.
 */
export class Dataset {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly encoder = new TextEncoder();
  private readonly summaries = new Map<number, RecordSummary>();
  /** Current content of lines that differ from the bytes on disk. */
  private readonly changed = new Map<number, string>();
  private forced: FormatId | undefined;
  /** Whether the whole file is UTF-8: when it is, no line needs a check of its own. */
  private wholeFileUtf8: boolean | undefined;

  private constructor(
    readonly fileName: string,
    private readonly bytes: Uint8Array,
    private readonly lines: LineIndex,
    /** 0-based line numbers of the lines that hold a record. */
    private readonly recordLines: Uint32Array,
    private readonly bomLength: number,
  ) {}

  /** Builds the dataset; the line index of a large file is built on a worker thread. */
  static async load(fileName: string, bytes: Uint8Array): Promise<Dataset> {
    const indexed = await indexBytes(bytes);
    return Dataset.create(fileName, indexed.bytes, indexed.index);
  }

  static fromBytes(fileName: string, bytes: Uint8Array): Dataset {
    return Dataset.create(fileName, bytes, LineIndex.build(bytes));
  }

  private static create(fileName: string, bytes: Uint8Array, lines: LineIndex): Dataset {
    const bomLength = UTF8_BOM.every((byte, i) => bytes[i] === byte) ? UTF8_BOM.length : 0;
    const recordLines = new Uint32Array(lines.lineCount);
    let records = 0;
    for (let line = 0; line < lines.lineCount; line++) {
      const { start, end } = lines.range(line);
      if (!isBlank(bytes, line === 0 ? start + bomLength : start, end)) recordLines[records++] = line;
    }
    return new Dataset(fileName, bytes, lines, recordLines.slice(0, records), bomLength);
  }

  get lineCount(): number {
    return this.lines.lineCount;
  }

  get recordCount(): number {
    return this.recordLines.length;
  }

  get byteLength(): number {
    return this.bytes.length;
  }

  /** The format every record is read as, or undefined to detect it per record. */
  get format(): FormatId | undefined {
    return this.forced;
  }

  set format(format: FormatId | undefined) {
    this.forced = format;
    this.summaries.clear();
  }

  /** True when some line differs from the bytes the dataset was read from. */
  get isChanged(): boolean {
    return this.changed.size > 0;
  }

  /** The 0-based line of the record at a 0-based record index. */
  recordLine(index: number): number {
    if (index < 0 || index >= this.recordLines.length) throw new RangeError(`record ${index} is outside 0..${this.recordLines.length - 1}`);
    return this.recordLines[index];
  }

  /** The record index of a 0-based line, or -1 when the line is blank or outside the file. */
  recordIndexOfLine(line: number): number {
    let low = 0;
    let high = this.recordLines.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const value = this.recordLines[middle];
      if (value === line) return middle;
      if (value < line) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  /** The current text of a 0-based line, without its line ending or the file's byte order mark. */
  lineText(line: number): string {
    return this.changed.get(line) ?? this.originalLineText(line);
  }

  originalLineText(line: number): string {
    return this.decoder.decode(this.originalBytes(line));
  }

  /** A line's bytes as read, without its line ending or the file's byte order mark. */
  private originalBytes(line: number): Uint8Array {
    const { start, end } = this.lines.range(line);
    return this.bytes.subarray(line === 0 ? start + this.bomLength : start, end);
  }

  /**
   * Where a line's bytes as read stop being UTF-8, or undefined when they are. `lineText` shows U+FFFD
   * there, so such a line is reported by the checks and never rewritten from its text.
   */
  invalidUtf8(line: number): InvalidUtf8 | undefined {
    this.wholeFileUtf8 ??= isUtf8(this.bytes);
    return this.wholeFileUtf8 ? undefined : findInvalidUtf8(this.originalBytes(line));
  }

  /** Why a line must not be rewritten, or undefined when it may be: written from its decoded text, its invalid bytes would become U+FFFD. */
  rewriteRefusal(line: number): string | undefined {
    const problem = this.invalidUtf8(line);
    return problem && `${describeInvalidUtf8(problem)}; CoT Studio will not rewrite this line (fix the bytes in a text editor)`;
  }

  /** Throws, naming the file, line and byte, when a line must not be rewritten; an edit checks this before any costly work. */
  assertRewritable(line: number): void {
    const refusal = this.rewriteRefusal(line);
    if (refusal !== undefined) throw new Error(`${this.fileName}:${line + 1}: ${refusal}`);
  }

  /** Replaces a line's content; its line ending stays. Setting the original text back clears the change. */
  setLineText(line: number, text: string): void {
    if (text.includes('\n')) throw new Error(`line ${line + 1}: a record must stay on one line`);
    this.assertRewritable(line);
    if (text === this.originalLineText(line)) this.changed.delete(line);
    else this.changed.set(line, text);
    const index = this.recordIndexOfLine(line);
    if (index !== -1) this.summaries.delete(index);
  }

  /** Applies changes forwards (`after`) or backwards (`before`), checking each line is where it should be. */
  apply(changes: readonly LineChange[], direction: 'forward' | 'backward'): void {
    // Checked first, so that a refused line leaves none of the others changed.
    for (const change of changes) this.assertRewritable(change.line);
    const ordered = direction === 'forward' ? changes : [...changes].reverse();
    for (const change of ordered) {
      const [expected, next] = direction === 'forward' ? [change.before, change.after] : [change.after, change.before];
      if (this.lineText(change.line) !== expected) throw new Error(`line ${change.line + 1} is not what this change expects; it was changed elsewhere`);
      this.setLineText(change.line, next);
    }
  }

  /**
   * Applies changes made against another version of the file (a backup, or edits made before the file
   * changed on disk) where each line still reads as the change expects; returns the ones that do not fit.
   */
  reapply(changes: readonly LineChange[]): LineChange[] {
    const conflicts: LineChange[] = [];
    for (const change of changes) {
      const isRecord = change.line < this.lineCount && this.recordIndexOfLine(change.line) !== -1;
      const current = isRecord && this.rewriteRefusal(change.line) === undefined ? this.lineText(change.line) : undefined;
      if (current === change.before) this.setLineText(change.line, change.after);
      else if (current !== change.after) conflicts.push(change);
    }
    return conflicts;
  }

  /** The lines that differ from the file as read: what a backup stores. */
  changes(): LineChange[] {
    return [...this.changed].sort(([a], [b]) => a - b).map(([line, after]) => ({ line, before: this.originalLineText(line), after }));
  }

  /** Summaries of records `start` .. `start + count - 1` (0-based record indices), parsed on demand. */
  page(start: number, count: number): RecordSummary[] {
    const end = Math.min(start + count, this.recordCount);
    const page: RecordSummary[] = [];
    for (let index = start; index < end; index++) page.push(this.summary(index));
    return page;
  }

  /**
   * The file's bytes with the changed lines substituted: unchanged stretches are slices of the original
   * buffer, so a save after one edit costs about a copy. Line endings, the BOM and a missing final newline
   * stay as they were.
   */
  *chunks(): Generator<Uint8Array> {
    let position = 0;
    for (const [line, text] of [...this.changed].sort(([a], [b]) => a - b)) {
      const { start, end } = this.lines.range(line);
      const contentStart = line === 0 ? start + this.bomLength : start;
      if (contentStart > position) yield this.bytes.subarray(position, contentStart);
      yield this.encoder.encode(text);
      position = end;
    }
    if (position < this.bytes.length) yield this.bytes.subarray(position);
  }

  /** The summary of one record by its 0-based record index. */
  summary(index: number): RecordSummary {
    const cached = this.summaries.get(index);
    if (cached) return cached;
    const line = this.recordLines[index];
    const summary = { index, checks: [], ...summarizeLine(this.lineText(line), line + 1, this.forced) };
    if (this.summaries.size >= SUMMARY_CACHE_LIMIT) this.summaries.clear();
    this.summaries.set(index, summary);
    return summary;
  }
}

function isBlank(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  }
  return true;
}
