import * as path from 'node:path';
import type { RecordSummary } from './recordSummarySchema';
import { BufferSource, type ByteSource, type CopyPiece, copyPieces, FileSource } from '../files/byteSource';
import { indexBytes, indexFile, indexInto, type IndexOptions } from './indexWorker';
import { LineIndex, type ScanStart } from './lineIndex';
import { LineReader } from './lineReader';
import type { FormatId } from './record';
import { summarizeLine } from './recordSummary';
import { describeInvalidUtf8, findInvalidUtf8, type InvalidUtf8 } from './utf8';

const SUMMARY_CACHE_LIMIT = 5000;

/** One line changed by an operation: its full content before and after (line ending excluded). */
export interface LineChange {
  /** 0-based line number. */
  line: number;
  before: string;
  after: string;
}

/** Where a dataset reads its lines as they are on disk: the bytes and their index. */
export interface IndexedSource {
  source: ByteSource;
  lines: LineIndex;
}

/**
 * A JSONL dataset: a source of the file's bytes as read (a buffer, or an open file read a line at a time), a
 * line index, and the lines changed since (an overlay). Untouched lines are never decoded and re-encoded, so
 * they are written back byte for byte; records (non-blank lines) are parsed only when asked for.
 */
export class Dataset {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly encoder = new TextEncoder();
  private readonly summaries = new Map<number, RecordSummary>();
  /** Current content of lines that differ from the bytes on disk. */
  private readonly changed = new Map<number, string>();
  private forced: FormatId | undefined;
  private source: ByteSource;
  private lines: LineIndex;
  private reader: LineReader;
  /** Stops a scan that is still adding lines when the dataset is closed. */
  private readonly stopIndexing = new AbortController();
  /** Why the scan stopped short, once it has. */
  private indexFailure: Error | undefined;
  /** Told after each stretch of lines is added, and when the scan ends or fails. */
  private readonly growthListeners = new Set<() => void>();

  private constructor(
    readonly fileName: string,
    indexed: IndexedSource,
  ) {
    this.source = indexed.source;
    this.lines = indexed.lines;
    this.reader = new LineReader(indexed.source, indexed.lines);
  }

  /** Builds the dataset from bytes in memory; the line index of a large buffer is built on a worker thread. */
  static async load(fileName: string, bytes: Uint8Array): Promise<Dataset> {
    const indexed = await indexBytes(bytes);
    return Dataset.ofIndexed(fileName, { source: new BufferSource(indexed.bytes), lines: indexed.index });
  }

  static fromBytes(fileName: string, bytes: Uint8Array): Dataset {
    return Dataset.ofIndexed(fileName, { source: new BufferSource(bytes), lines: LineIndex.build(bytes) });
  }

  /** The dataset of a source indexed already; it owns the source from here on. */
  static ofIndexed(fileName: string, indexed: IndexedSource): Dataset {
    return new Dataset(fileName, indexed);
  }

  /**
   * Opens a file and indexes it by reading it a chunk at a time (on a worker thread when it is large); lines
   * are then read from the open file when asked for, so memory holds the index and never the file. `close`
   * lets the file go.
   */
  static async open(file: string, options: IndexOptions = {}): Promise<Dataset> {
    return Dataset.read(path.basename(file), FileSource.open(file), options);
  }

  /** The dataset of a file already opened; the dataset owns it from here on, and closes it on failure. */
  static async read(fileName: string, source: FileSource, options: IndexOptions = {}): Promise<Dataset> {
    try {
      return Dataset.ofIndexed(fileName, { source, lines: await indexFile(source, options) });
    } catch (error) {
      source.close();
      throw error;
    }
  }

  /**
   * Opens a file and returns as soon as its first stretch of lines (a chunk, 8 MB) is indexed; the rest is
   * indexed on a worker while the first lines are read, `recordCount` and `lineCount` growing as it goes
   * (`indexing`, `whenIndexed`, `onGrow`). A save waits for the whole index.
   */
  static async openGrowing(file: string, options: IndexOptions = {}): Promise<Dataset> {
    const dataset = new Dataset(path.basename(file), { source: FileSource.open(file), lines: new LineIndex() });
    dataset.indexFrom(undefined, options);
    try {
      await dataset.whenIndexed(0);
    } catch (error) {
      dataset.close();
      throw error;
    }
    return dataset;
  }

  /** Scans the source from `from` (its start by default) on, adding lines as they are scanned. */
  private indexFrom(from: ScanStart | undefined, options: IndexOptions = {}): Promise<void> {
    this.indexFailure = undefined;
    const { source, lines } = this;
    const scanning = indexInto(lines, source, {
      ...options,
      ...(from === undefined ? {} : { from }),
      signal: options.signal ? AbortSignal.any([options.signal, this.stopIndexing.signal]) : this.stopIndexing.signal,
      onLines: () => this.grew(),
    }).catch((error: unknown) => {
      this.indexFailure = error instanceof Error ? error : new Error(String(error));
      this.grew();
    });
    return scanning;
  }

  private grew(): void {
    for (const listener of [...this.growthListeners]) listener();
  }

  /** True while lines are still being added: counts are lower bounds, and a save must wait. */
  get indexing(): boolean {
    return !this.lines.complete && this.indexFailure === undefined;
  }

  /** The bytes indexed so far and the bytes to index, for progress. */
  get indexProgress(): { indexed: number; total: number } {
    return { indexed: this.lines.byteLength, total: this.source.byteLength };
  }

  /** Calls `listener` after each stretch of lines is added and when the scan ends or fails; returns what stops it. */
  onGrow(listener: () => void): () => void {
    this.growthListeners.add(listener);
    return () => this.growthListeners.delete(listener);
  }

  /**
   * At the last record indexed so far: waits for the next stretch of the index that adds records; false once the
   * index is complete without more (or its scan failed, which the dataset reports itself).
   */
  async whenMoreRecords(): Promise<boolean> {
    const seen = this.recordCount;
    while (this.indexing && this.recordCount === seen) {
      if (!(await this.whenIndexed(this.lineCount).catch(() => false))) break;
    }
    return this.recordCount > seen;
  }

  /**
   * Waits until the 0-based `line` is indexed (true) or the index is complete without it (false: the line is
   * past the end of the file); with no line, until the index is complete. Rejects when the scan failed.
   */
  whenIndexed(line = Number.POSITIVE_INFINITY): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const settled = (): boolean => {
        if (line < this.lines.lineCount) resolve(true);
        else if (this.indexFailure) reject(new Error(`${this.fileName} could not be indexed: ${this.indexFailure.message}`));
        else if (this.lines.complete) resolve(false);
        else return false;
        return true;
      };
      if (settled()) return;
      const stop = this.onGrow(() => settled() && stop());
    });
  }

  /** Like `whenIndexed`, for the 0-based index of a record. */
  async whenRecordIndexed(index: number): Promise<boolean> {
    while (index >= this.recordCount && this.indexing) await this.whenIndexed(this.lineCount);
    if (this.indexFailure) throw new Error(`${this.fileName} could not be indexed: ${this.indexFailure.message}`);
    return index < this.recordCount;
  }

  /**
   * Reads from now on from `next`, a longer version of the file whose first bytes are the ones read (a
   * program appending to it), and indexes the added bytes, adding their lines: edits, record indices and
   * summaries stay. A last line without a line ending is read again with what was added to it. True, with
   * `next` closed, when nothing was added. False, with
   * nothing changed (`next` stays the caller's), when `next` is not such a version, or when that open last
   * line has an edit.
   */
  async append(next: ByteSource, options: IndexOptions = {}): Promise<boolean> {
    if (this.indexing) throw new Error(`${this.fileName} is still being indexed`);
    if (next.byteLength < this.source.byteLength || !this.source.isPrefixOf(next)) return false;
    if (next.byteLength === this.source.byteLength) {
      // Nothing was added since (an earlier append read it already).
      next.close();
      return true;
    }
    const reopened = this.lines.endsInOpenLine ? this.lineCount - 1 : -1;
    if (reopened !== -1 && this.changed.has(reopened)) return false;
    const record = reopened === -1 ? -1 : this.recordIndexOfLine(reopened);
    if (record !== -1) this.summaries.delete(record);
    const old = this.source;
    this.source = next;
    const from = this.lines.reopen();
    this.reader = new LineReader(next, this.lines);
    old.close();
    await this.indexFrom(from, options);
    if (this.indexFailure) throw new Error(`${this.fileName} could not be indexed: ${this.indexFailure.message}`);
    return true;
  }

  /** True when the file's last line has no line ending yet: an `append` reads it again with what follows. */
  get endsInOpenLine(): boolean {
    return this.lines.endsInOpenLine;
  }

  /** Lets go of the file the dataset reads from; reading an unchanged line afterwards throws. */
  close(): void {
    this.stopIndexing.abort(new Error(`${this.fileName} was closed`));
    this.source.close();
    this.reader = new LineReader(this.source, this.lines);
  }

  /** For `using`: a command's dataset lets its file go however the command ends. */
  [Symbol.dispose](): void {
    this.close();
  }

  get lineCount(): number {
    return this.lines.lineCount;
  }

  get recordCount(): number {
    return this.lines.recordCount;
  }

  /** The size of the file as read, all of it while it is still being indexed (indexProgress says how much is). */
  get byteLength(): number {
    return this.source.byteLength;
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
    if (!(index >= 0 && index < this.recordCount)) throw new RangeError(`record ${index} is outside 0..${this.recordCount - 1}`);
    return this.lines.recordLine(index);
  }

  /** The record index of a 0-based line, or -1 when the line is blank or outside the file. */
  recordIndexOfLine(line: number): number {
    return this.lines.recordIndexOf(line);
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
    const bytes = this.reader.read(line);
    return line === 0 ? bytes.subarray(this.lines.bomLength) : bytes;
  }

  /**
   * Where a line's bytes as read stop being UTF-8, or undefined when they are. `lineText` shows U+FFFD
   * there, so such a line is reported by the checks and never rewritten from its text.
   */
  invalidUtf8(line: number): InvalidUtf8 | undefined {
    const { start, end } = this.lines.range(line);
    // The index knows where the file is all UTF-8, so most lines need no check (and no read) of their own.
    return this.lines.mayBeInvalidUtf8(start, end) ? findInvalidUtf8(this.originalBytes(line)) : undefined;
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

  /** The changed lines now, for `chunks` and `rebase`: later edits do not change it. */
  snapshot(): ReadonlyMap<number, string> {
    return new Map(this.changed);
  }

  /**
   * The file's bytes with the changed lines (of `changes`, by default the current ones) substituted: unchanged
   * stretches are read from the source a few megabytes at a time, so a save holds a piece of the file and the
   * edits, never the file. Each chunk is valid until the next is asked for (`collectChunks` joins them). Line
   * endings, the BOM and a missing final newline stay as they were. Rejects when the file was written in place
   * since it was opened, rather than give a mix of two versions; throws at once while it is still being indexed.
   */
  chunks(changes: ReadonlyMap<number, string> = this.snapshot()): AsyncIterable<Uint8Array> {
    const ordered = [...changes].sort(([a], [b]) => a - b);
    const { source, lines, encoder } = this;
    if (!this.lines.complete)
      throw new Error(
        `${this.fileName} ${this.indexFailure ? `could not be indexed: ${this.indexFailure.message}` : 'is still being indexed; save once it is'}`,
      );
    function* pieces(): Generator<CopyPiece> {
      let position = 0;
      for (const [line, text] of ordered) {
        const { start, end } = lines.range(line);
        yield { start: position, end: line === 0 ? start + lines.bomLength : start };
        yield encoder.encode(text);
        position = end;
      }
      yield { start: position, end: lines.byteLength };
    }
    return (async function* () {
      source.assertUnchanged();
      yield* copyPieces(source, pieces());
      source.assertUnchanged();
    })();
  }

  /** The index of the file `chunks(changes)` writes, worked out without reading it back. */
  indexAfterSave(changes: ReadonlyMap<number, string>): LineIndex {
    return this.lines.rewritten(new Map([...changes].map(([line, text]) => [line, this.encoder.encode(text)])));
  }

  /**
   * Reads from now on from `indexed`, the file as saved with `saved` (a snapshot): the lines whose current
   * text is what was saved stop being changes, and a line edited since the snapshot stays (or becomes) one.
   * Line numbers never move, so record indices, the undo history and the summaries stay valid. The old
   * source is closed.
   */
  rebase(indexed: IndexedSource, saved: ReadonlyMap<number, string>): void {
    if (this.indexing) throw new Error(`${this.fileName} is still being indexed`);
    if (indexed.lines.lineCount !== this.lineCount) {
      indexed.source.close();
      throw new Error(`${this.fileName} has ${indexed.lines.lineCount} lines as saved, not ${this.lineCount}; open it again`);
    }
    const touched = new Set([...saved.keys(), ...this.changed.keys()]);
    const current = new Map([...touched].map((line) => [line, this.lineText(line)]));
    const old = this.source;
    this.source = indexed.source;
    this.lines = indexed.lines;
    this.reader = new LineReader(indexed.source, indexed.lines);
    this.changed.clear();
    for (const [line, text] of current) if (text !== this.originalLineText(line)) this.changed.set(line, text);
    this.summaries.clear();
    old.close();
  }

  /** The summary of one record by its 0-based record index. */
  summary(index: number): RecordSummary {
    const cached = this.summaries.get(index);
    if (cached) return cached;
    const line = this.recordLine(index);
    const summary = { index, checks: [], ...summarizeLine(this.lineText(line), line + 1, this.forced) };
    if (this.summaries.size >= SUMMARY_CACHE_LIMIT) this.summaries.clear();
    this.summaries.set(index, summary);
    return summary;
  }
}
