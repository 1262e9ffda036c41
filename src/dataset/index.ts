import type { RecordSummary } from '../protocol';
import { LineIndex } from './lineIndex';
import { summarizeLine } from './recordSummary';

export { LineIndex } from './lineIndex';
export { firstUserQuestion, summarizeLine } from './recordSummary';

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const SUMMARY_CACHE_LIMIT = 5000;

/**
 * A JSONL dataset held as bytes plus a line index. Records (non-blank lines) are parsed only when a page
 * of them is asked for, so opening a large file costs one scan for newlines.
 */
export class Dataset {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly summaries = new Map<number, RecordSummary>();

  private constructor(
    readonly fileName: string,
    private readonly bytes: Uint8Array,
    private readonly lines: LineIndex,
    /** 0-based line numbers of the lines that hold a record. */
    private readonly recordLines: Uint32Array,
    private readonly bomLength: number,
  ) {}

  static fromBytes(fileName: string, bytes: Uint8Array): Dataset {
    const lines = LineIndex.build(bytes);
    const bomLength = UTF8_BOM.every((byte, i) => bytes[i] === byte) ? UTF8_BOM.length : 0;
    const recordLines: number[] = [];
    for (let line = 0; line < lines.lineCount; line++) {
      const { start, end } = lines.range(line);
      if (!isBlank(bytes, line === 0 ? start + bomLength : start, end)) recordLines.push(line);
    }
    return new Dataset(fileName, bytes, lines, Uint32Array.from(recordLines), bomLength);
  }

  get lineCount(): number {
    return this.lines.lineCount;
  }

  get recordCount(): number {
    return this.recordLines.length;
  }

  /** The text of a 0-based line, without its line ending or the file's byte order mark. */
  lineText(line: number): string {
    const { start, end } = this.lines.range(line);
    return this.decoder.decode(this.bytes.subarray(line === 0 ? start + this.bomLength : start, end));
  }

  /** Summaries of records `start` .. `start + count - 1` (0-based record indices), parsed on demand. */
  page(start: number, count: number): RecordSummary[] {
    const end = Math.min(start + count, this.recordCount);
    const page: RecordSummary[] = [];
    for (let index = start; index < end; index++) page.push(this.summary(index));
    return page;
  }

  private summary(index: number): RecordSummary {
    const cached = this.summaries.get(index);
    if (cached) return cached;
    const line = this.recordLines[index];
    const summary = summarizeLine(this.lineText(line), line + 1);
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
