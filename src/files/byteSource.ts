import * as fs from 'node:fs';
import { promisify } from 'node:util';

const readAsync = promisify(fs.read);

/**
 * The bytes a dataset is read from, by range: a buffer in memory, or a file read where asked, so that a file
 * far larger than memory can be read one line at a time.
 */
export interface ByteSource {
  readonly byteLength: number;
  /** True when reads are views of bytes held anyway, so keeping them saves nothing. */
  readonly inMemory: boolean;
  /** The bytes [start, end); the caller may keep them, the source does not reuse them. */
  read(start: number, end: number): Uint8Array;
  /** Throws when the bytes may no longer be what was read (a file written in place since it was opened). */
  assertUnchanged(): void;
  /** True when `next` starts with the bytes this source read: the same file, with bytes added after them. */
  isPrefixOf(next: ByteSource): boolean;
  close(): void;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** How many of a file's last bytes are kept to tell an append from a rewrite. */
const TAIL_BYTES = 4096;

/** Bytes already in memory (standard input, a Parquet file's rows, a test's buffer): reads are views, no copies. */
export class BufferSource implements ByteSource {
  readonly inMemory = true;

  constructor(private readonly bytes: Uint8Array) {}

  get byteLength(): number {
    return this.bytes.length;
  }

  read(start: number, end: number): Uint8Array {
    return this.bytes.subarray(start, end);
  }

  assertUnchanged(): void {}

  isPrefixOf(next: ByteSource): boolean {
    return next.byteLength >= this.bytes.length && sameBytes(next.read(0, this.bytes.length), this.bytes);
  }

  close(): void {}
}

/**
 * Fills `buffer[0, length)` from `position` of an open file, continuing after short reads; returns how many
 * bytes the file had there. Self-contained (its reader is passed in) so a worker thread can run the same code.
 */
export function readFully(readSync: typeof fs.readSync, fd: number, buffer: Uint8Array, length: number, position: number): number {
  let filled = 0;
  while (filled < length) {
    const read = readSync(fd, buffer, filled, length - filled, position + filled);
    if (read === 0) break;
    filled += read;
  }
  return filled;
}

/** `fs.read` as a promise: what `readFullyAsync` reads with. */
type ReadAsync = (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => Promise<{ bytesRead: number }>;

/** `readFully` on libuv's pool, so that this thread works on the last bytes read meanwhile; self-contained as it is. */
export async function readFullyAsync(read: ReadAsync, fd: number, buffer: Uint8Array, length: number, position: number): Promise<number> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await read(fd, buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/** What tells a write in place apart: a file replaced by a rename keeps the open handle on the old one. */
interface Stamp {
  size: number;
  modifiedMs: number;
  /** Which file on its device: a new file renamed over the path has another. */
  device: number;
  inode: number;
}

/**
 * A file opened once and read by position with synchronous reads, so that reading a line stays a plain call.
 * The handle keeps the file as it was opened even after another program renames a new version over it.
 */
export class FileSource implements ByteSource {
  readonly inMemory = false;
  private open = true;

  private constructor(
    readonly path: string,
    readonly fd: number,
    private readonly stamp: Stamp,
    /** Where the bytes read start in the file, and how many there are. */
    readonly offset: number,
    readonly byteLength: number,
    /** The last bytes read, as they were at open: an append leaves them, a rewrite in place most likely not. */
    private readonly tail: Uint8Array,
  ) {}

  /** The file, or the part `range` [start, end) of it: offsets of `read` then count from `start`. */
  static open(file: string, range?: { start: number; end: number }): FileSource {
    const fd = fs.openSync(file, 'r');
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile()) throw new Error(`${file} is not a regular file`);
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? stat.size, stat.size);
      const byteLength = Math.max(0, end - start);
      const tail = Buffer.allocUnsafe(Math.min(TAIL_BYTES, byteLength));
      readFully(fs.readSync, fd, tail, tail.length, start + byteLength - tail.length);
      return new FileSource(file, fd, { size: stat.size, modifiedMs: stat.mtimeMs, device: stat.dev, inode: stat.ino }, start, byteLength, tail);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  get isOpen(): boolean {
    return this.open;
  }

  read(start: number, end: number): Uint8Array {
    if (!this.open) throw new Error(`${this.path} was closed`);
    const bytes = Buffer.allocUnsafe(end - start);
    if (readFully(fs.readSync, this.fd, bytes, bytes.length, this.offset + start) < bytes.length) this.changedOnDisk();
    return bytes;
  }

  /**
   * Fills `buffer[0, length)` from `start` on a thread of libuv's pool, so that the next stretch of a copy is read
   * while this thread writes the last one.
   */
  async readInto(buffer: Uint8Array, start: number, length: number): Promise<Uint8Array> {
    if (!this.open) throw new Error(`${this.path} was closed`);
    if ((await readFullyAsync(readAsync, this.fd, buffer, length, this.offset + start)) < length) this.changedOnDisk();
    return buffer.subarray(0, length);
  }

  assertUnchanged(): void {
    if (!this.open) throw new Error(`${this.path} was closed`);
    const stat = fs.fstatSync(this.fd);
    if (stat.size !== this.stamp.size || stat.mtimeMs !== this.stamp.modifiedMs) this.changedOnDisk();
  }

  /**
   * True when `next` is this file (not another renamed over its path) from the same offset, as long or longer,
   * and still holds the last bytes read: what a program appending to the file leaves. The bytes before them
   * are not compared (that would read the whole file); a rewrite in place that keeps the last 4 KB passes.
   */
  isPrefixOf(next: ByteSource): boolean {
    if (next instanceof FileSource && (next.stamp.device !== this.stamp.device || next.stamp.inode !== this.stamp.inode || next.offset !== this.offset))
      return false;
    if (next.byteLength < this.byteLength) return false;
    return sameBytes(next.read(this.byteLength - this.tail.length, this.byteLength), this.tail);
  }

  private changedOnDisk(): never {
    throw new Error(
      `${this.path} was written by another program while it was open (it is ${fs.fstatSync(this.fd).size} bytes now, ${this.stamp.size} when read); open it again`,
    );
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    fs.closeSync(this.fd);
  }
}

/** What a copy writes: a byte range [start, end) of its source, or bytes of its own. */
export type CopyPiece = Uint8Array | { start: number; end: number };

/** A copy reads a file's ranges this much at a time. */
const COPY_BYTES = 4 * 1024 * 1024;

/**
 * The bytes of `pieces` in order, ranges read by `readInto` `bufferBytes` at a time into two buffers in turn,
 * the next while the caller works on the last (writes it, scans it): chunks are valid only until the next one
 * is asked for. Self-contained, so that the index worker runs the same code from its source.
 */
export async function* readAhead(
  readInto: (buffer: Uint8Array, start: number, length: number) => Promise<Uint8Array>,
  pieces: Iterable<CopyPiece>,
  bufferBytes: number,
): AsyncGenerator<Uint8Array> {
  const buffers = [new Uint8Array(bufferBytes), new Uint8Array(bufferBytes)];
  let reads = 0;
  function* steps(): Generator<Uint8Array | { start: number; length: number }> {
    for (const piece of pieces) {
      if (piece instanceof Uint8Array) yield piece;
      else for (let start = piece.start; start < piece.end; start += bufferBytes) yield { start, length: Math.min(bufferBytes, piece.end - start) };
    }
  }
  // A read goes into the buffer the read before the last one used: its chunk was handled before this was asked for.
  const begin = (step: Uint8Array | { start: number; length: number }): Promise<Uint8Array> =>
    step instanceof Uint8Array ? Promise.resolve(step) : readInto(buffers[reads++ % 2], step.start, step.length);
  const plan = steps();
  let next = plan.next();
  let pending = next.done ? undefined : begin(next.value);
  while (pending) {
    const chunk = await pending;
    next = plan.next();
    pending = next.done ? undefined : begin(next.value);
    // A caller that stops early (its write failed) leaves the read ahead unawaited: its failure is not reported twice.
    pending?.catch(() => undefined);
    yield chunk;
  }
}

/**
 * The bytes of `pieces` in order, as chunks that are valid only until the next one is asked for: a file's ranges
 * are read ahead (`readAhead`), so that copying a file costs about what `cp` does (fresh buffers a few megabytes
 * each cost page faults and collections on every read). A source in memory gives views of its bytes.
 */
export async function* copyPieces(source: ByteSource, pieces: Iterable<CopyPiece>): AsyncGenerator<Uint8Array> {
  if (source instanceof FileSource) {
    yield* readAhead((buffer, start, length) => source.readInto(buffer, start, length), pieces, COPY_BYTES);
    return;
  }
  for (const piece of pieces) {
    if (piece instanceof Uint8Array) yield piece;
    else if (piece.end > piece.start) yield source.read(piece.start, piece.end);
  }
}

/** The chunks joined into one buffer, each copied as it comes: for chunks valid only until the next is read. */
export async function collectChunks(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}
