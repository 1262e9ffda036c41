import type { ByteSource } from '../files/byteSource';
import type { LineIndex } from './lineIndex';

/** Recently read lines are kept up to this many bytes. */
const CACHE_BYTES = 4 * 1024 * 1024;
/** A read fetches at least this much, and keeps the whole lines after the one asked for: a pass in file order reads in blocks. */
const READ_AHEAD_BYTES = 64 * 1024;

/**
 * Reads lines' bytes (without their endings) from a source, keeping the recently read ones: the page in
 * view, the records being checked. A miss reads on past the line, so a pass over the records in file order
 * makes one read per block of lines rather than one per line.
 */
export class LineReader {
  /** Least recently used first: a read moves its line to the end. */
  private readonly cache = new Map<number, Uint8Array>();
  private cachedBytes = 0;

  constructor(
    private readonly source: ByteSource,
    private readonly lines: LineIndex,
  ) {}

  /** The content of a 0-based line as read, with the file's byte order mark on the first line. */
  read(line: number): Uint8Array {
    if (this.source.inMemory) {
      const { start, end } = this.lines.range(line);
      return this.source.read(start, end);
    }
    const cached = this.cache.get(line);
    if (cached) {
      this.cache.delete(line);
      this.cache.set(line, cached);
      return cached;
    }
    const { start, end } = this.lines.range(line);
    const until = Math.min(this.lines.byteLength, Math.max(end, start + READ_AHEAD_BYTES));
    const block = this.source.read(start, until);
    // Copies of their own (a Buffer's slice is a view), so that the block is not held for the sake of one line.
    const bytes = end - start < block.length ? new Uint8Array(block.subarray(0, end - start)) : block;
    this.keep(line, bytes);
    for (let next = line + 1; next < this.lines.lineCount; next++) {
      const range = this.lines.range(next);
      if (range.end > until) break;
      if (!this.cache.has(next)) this.keep(next, new Uint8Array(block.subarray(range.start - start, range.end - start)));
    }
    return bytes;
  }

  private keep(line: number, bytes: Uint8Array): void {
    if (bytes.length > CACHE_BYTES / 4) return;
    this.cache.set(line, bytes);
    this.cachedBytes += bytes.length;
    for (const [oldest, evicted] of this.cache) {
      if (this.cachedBytes <= CACHE_BYTES) break;
      this.cache.delete(oldest);
      this.cachedBytes -= evicted.length;
    }
  }
}
