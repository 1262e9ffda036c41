import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { type ByteSource, FileSource, readAhead, readFully, readFullyAsync } from '../files/byteSource';
import { LineIndex, lineScanner, type ScannedLines, type ScanStart, scanAhead, scanChunks } from './lineIndex';

/** Below this size a scan takes a few milliseconds; a worker would cost more than it saves. */
export const WORKER_THRESHOLD_BYTES = 4 * 1024 * 1024;

/** A file is scanned this much at a time: large enough that each read is cheap, small enough to hold. */
export const INDEX_CHUNK_BYTES = 8 * 1024 * 1024;

/** How long a started worker waits for the next file (a save re-indexes, a revert reads again). */
const IDLE_MS = 60_000;

/** A file to scan: its open handle (shared by the threads of one process), the part of it the source reads, and where to start. */
interface FileJob {
  fd: number;
  offset: number;
  byteLength: number;
  chunkBytes: number;
  from: ScanStart;
}

/** The lines of one stretch with how far the file has been read; the last one brings back a buffer that was sent. */
type WorkerAnswer = { lines: ScannedLines; read: number; buffer?: ArrayBuffer } | { error: string };

/** The worker runs the same scanner and readers, passed as its source, so there is no second bundle to ship. */
const WORKER_SOURCE = `
  const { parentPort } = require('node:worker_threads');
  const { read, readSync } = require('node:fs');
  const { promisify } = require('node:util');
  const { isUtf8 } = require('node:buffer');
  const lineScanner = ${lineScanner.toString()};
  const scanAhead = ${scanAhead.toString()};
  const readFully = ${readFully.toString()};
  const readFullyAsync = ${readFullyAsync.toString()};
  const readAhead = ${readAhead.toString()};
  const readAsync = promisify(read);
  const transfers = (lines) => [lines.starts.buffer, lines.ends.buffer, lines.records.buffer, lines.invalidUtf8.buffer];
  const START = { position: 0, line: 0, bomLength: 0 };
  const fail = (error) => parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) });
  parentPort.on('message', (job) => {
    try {
      if (job instanceof ArrayBuffer) {
        const bytes = new Uint8Array(job);
        const emit = (lines, read) => parentPort.postMessage({ lines, read, buffer: job }, [job, ...transfers(lines)]);
        const scanner = lineScanner(bytes.length, isUtf8, emit, START, bytes.subarray(0, 3));
        if (bytes.length > 0) scanner.push(bytes, 0);
        scanner.end();
        return;
      }
      const head = new Uint8Array(job.from.position === 0 ? Math.min(3, job.byteLength) : 0);
      readFully(readSync, job.fd, head, head.length, job.offset);
      const emit = (lines, read) => parentPort.postMessage({ lines, read }, transfers(lines));
      const readInto = async (buffer, position, length) => {
        if ((await readFullyAsync(readAsync, job.fd, buffer, length, job.offset + position)) < length) throw new Error('the file became shorter while it was read');
        return buffer.subarray(0, length);
      };
      const range = { start: job.from.position, end: job.byteLength };
      const chunks = readAhead(readInto, [range], Math.max(1, Math.min(job.chunkBytes, range.end - range.start)));
      scanAhead(lineScanner(job.byteLength, isUtf8, emit, job.from, head), chunks, range.start).catch(fail);
    } catch (error) {
      fail(error);
    }
  });`;

let idle: { worker: Worker; timer: NodeJS.Timeout } | undefined;

/** A worker for the next job, and whether it has started: a new thread takes tens of milliseconds to. */
function takeWorker(): { worker: Worker; started: () => boolean } {
  const waiting = idle;
  idle = undefined;
  if (!waiting) {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    let online = false;
    worker.once('online', () => (online = true));
    return { worker, started: () => online };
  }
  clearTimeout(waiting.timer);
  waiting.worker.ref();
  return { worker: waiting.worker, started: () => true };
}

/** Keeps one worker for the next file; it holds no process open and ends when unused for a while. */
function release(worker: Worker): void {
  if (idle) {
    void worker.terminate();
    return;
  }
  worker.unref();
  const timer = setTimeout(() => {
    if (idle?.worker === worker) idle = undefined;
    void worker.terminate();
  }, IDLE_MS);
  timer.unref();
  idle = { worker, timer };
}

/**
 * Starts the index worker ahead of a load, while the file is still being read, so that starting a thread
 * (tens of milliseconds) is not on the way to the first page.
 */
export function warmIndexWorker(): void {
  if (!idle) release(new Worker(WORKER_SOURCE, { eval: true }));
}

/** Runs one job on the worker, handing on each stretch of lines as it arrives; an abort stops the worker and rejects. */
async function runJob(
  job: ArrayBuffer | FileJob,
  onLines: (lines: ScannedLines) => void,
  options: IndexOptions,
  worker = takeWorker().worker,
): Promise<ArrayBuffer | undefined> {
  let answered = false;
  try {
    options.signal?.throwIfAborted();
    return await new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`the line index worker stopped with exit code ${code}`));
      const onAbort = () => reject(options.signal?.reason);
      const settle = () => {
        answered = true;
        worker.off('error', reject);
        worker.off('exit', onExit);
        worker.off('message', onMessage);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const onMessage = (message: WorkerAnswer) => {
        if ('error' in message) {
          settle();
          reject(new Error(message.error));
          return;
        }
        try {
          onLines(message.lines);
        } catch (error) {
          // A listener's failure stops the scan: the worker is not answered for, so it is stopped.
          reject(error);
          return;
        }
        options.onProgress?.(message.read);
        if (!message.lines.complete) return;
        settle();
        resolve(message.buffer);
      };
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.on('message', onMessage);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (job instanceof ArrayBuffer) worker.postMessage(job, [job]);
      else worker.postMessage(job);
    });
  } finally {
    if (answered) release(worker);
    else void worker.terminate();
  }
}

/**
 * Indexes a file's bytes on a worker thread so that a 200 MB dataset does not stall the extension host.
 * The buffer moves to the worker and back without copying.
 */
export async function indexBytes(bytes: Uint8Array): Promise<{ bytes: Uint8Array; index: LineIndex }> {
  if (bytes.length < WORKER_THRESHOLD_BYTES) return { bytes, index: LineIndex.build(bytes) };
  // Transfer needs a buffer of our own; Node's pooled Buffers share theirs.
  const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  const index = new LineIndex();
  const buffer = await runJob(owned.buffer as ArrayBuffer, (lines) => index.append(lines), {});
  if (!buffer) throw new Error('the line index worker kept the bytes');
  return { bytes: new Uint8Array(buffer), index };
}

export interface IndexOptions {
  /** Called as the scan goes with the bytes scanned so far. */
  onProgress?: (scanned: number) => void;
  signal?: AbortSignal;
  /** How much is read at a time; small only in tests, to put lines across chunk boundaries. */
  chunkBytes?: number;
}

/**
 * Indexes an open file by reading it a chunk at a time, on a worker thread when it is large: memory holds a
 * chunk and the index, never the file.
 */
export async function indexFile(source: FileSource, options: IndexOptions = {}): Promise<LineIndex> {
  const index = new LineIndex();
  await indexInto(index, source, options);
  return index;
}

/**
 * Scans `source` from `from` (its start by default) and appends each stretch of lines to `index` as it is
 * scanned, so the first lines can be read while the rest are scanned; a large file is scanned on a worker
 * thread, anything else here. `onLines` is told after each stretch.
 */
export async function indexInto(index: LineIndex, source: ByteSource, options: IndexOptions & { from?: ScanStart; onLines?: () => void } = {}): Promise<void> {
  const chunkBytes = options.chunkBytes ?? INDEX_CHUNK_BYTES;
  const from = options.from ?? { position: 0, line: 0, bomLength: 0 };
  index.expect(source.byteLength);
  const append = (lines: ScannedLines): void => {
    index.append(lines);
    options.onLines?.();
  };
  if (source instanceof FileSource && source.byteLength - from.position >= WORKER_THRESHOLD_BYTES) {
    const { worker, started } = takeWorker();
    let rest: ScanStart;
    try {
      // While a new worker starts, the first chunks are scanned here: the first lines come at once, and the start is not waited for.
      rest = await scanUntil(
        source,
        from,
        chunkBytes,
        started,
        (lines, read) => {
          append(lines);
          options.onProgress?.(read);
        },
        options.signal,
      );
    } catch (error) {
      void worker.terminate();
      throw error;
    }
    if (rest.position < source.byteLength) {
      await runJob({ fd: source.fd, offset: source.offset, byteLength: source.byteLength, chunkBytes, from: rest }, append, options, worker);
    } else release(worker);
    return;
  }
  options.signal?.throwIfAborted();
  scanHere(source, { ...options, from }, append);
}

/** Reads `source` on this thread a chunk at a time into one buffer: each chunk is valid until the next read. */
function chunkReader(source: FileSource, chunkBytes: number): (position: number, length: number) => Uint8Array {
  // At least 3 bytes: the byte order mark is read first.
  const chunk = Buffer.allocUnsafe(Math.max(Math.min(chunkBytes, source.byteLength), 3));
  return (position, length) => {
    if (readFully(fs.readSync, source.fd, chunk, length, source.offset + position) < length) throw new Error(`${source.path} became shorter while it was read`);
    return chunk.subarray(0, length);
  };
}

/**
 * Takes from `held` (failed UTF-8 ranges as [start, end) pairs, in order) the ranges before `at`, a range across
 * it cut there: what may be handed on with the lines that end before `at`. The rest stays held. A line longer than
 * many chunks holds many ranges, so what stays is never copied again.
 */
function takeRangesBefore(held: number[], at: number): number[] {
  const before: number[] = [];
  let taken = 0;
  while (taken < held.length && held[taken] < at) {
    before.push(held[taken], Math.min(held[taken + 1], at));
    taken += 2;
  }
  if (taken > 0 && held[taken - 1] > at) {
    held[taken - 2] = at;
    taken -= 2;
  }
  held.splice(0, taken);
  return before;
}

/**
 * Scans `source` here a chunk at a time from `from` until `done()` says to stop (asked between chunks, each a few
 * milliseconds, with the event loop let run) or the end, handing on each stretch of lines. Gives where the rest
 * of the scan starts: the start of the line the last chunk ended inside, whose bytes are scanned again (the
 * stretches handed on say nothing of them), or the end of the source once it is all scanned.
 */
export async function scanUntil(
  source: FileSource,
  from: ScanStart,
  chunkBytes: number,
  done: () => boolean,
  append: (lines: ScannedLines, read: number) => void,
  signal?: AbortSignal,
): Promise<ScanStart> {
  const readChunk = chunkReader(source, chunkBytes);
  const head = from.position === 0 ? new Uint8Array(readChunk(0, Math.min(3, source.byteLength))) : new Uint8Array(0);
  let rest = from;
  // Failed UTF-8 ranges in the line the last stretch stopped inside: handed on with its line, or dropped when the rest is scanned elsewhere.
  const held: number[] = [];
  const scanner = lineScanner(
    source.byteLength,
    isUtf8,
    (lines, read) => {
      rest = { position: lines.complete ? source.byteLength : lines.indexedTo, line: rest.line + lines.starts.length, bomLength: lines.bomLength };
      for (const bound of lines.invalidUtf8) held.push(bound);
      append({ ...lines, invalidUtf8: Float64Array.from(takeRangesBefore(held, lines.complete ? Infinity : lines.indexedTo)) }, read);
    },
    from,
    head,
  );
  let position = from.position;
  while (position < source.byteLength && !done()) {
    signal?.throwIfAborted();
    const length = Math.min(chunkBytes, source.byteLength - position);
    scanner.push(readChunk(position, length), position);
    position += length;
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (position >= source.byteLength) scanner.end();
  return rest;
}

/** The same scan on this thread: for a small file, and for a thread that is a worker already. */
export function indexFileHere(source: FileSource, options: Omit<IndexOptions, 'signal'> = {}): LineIndex {
  const index = new LineIndex();
  scanHere(source, options, (lines) => index.append(lines));
  return index;
}

function scanHere(source: ByteSource, options: Omit<IndexOptions, 'signal'> & { from?: ScanStart }, append: (lines: ScannedLines) => void): void {
  if (!(source instanceof FileSource)) {
    // Bytes in memory are scanned in one piece: there is nothing to hold a chunk at a time.
    const bytes = source.read(0, source.byteLength);
    scanChunks(bytes.length, (position, length) => bytes.subarray(position, position + length), Math.max(1, bytes.length), isUtf8, append, options.from);
    return;
  }
  const chunkBytes = options.chunkBytes ?? INDEX_CHUNK_BYTES;
  scanChunks(
    source.byteLength,
    chunkReader(source, chunkBytes),
    chunkBytes,
    isUtf8,
    (lines, read) => {
      append(lines);
      options.onProgress?.(read);
    },
    options.from,
  );
}

/** The index of any source: a file streamed as `indexFile` does, bytes in memory in one piece. */
export async function indexSource(source: ByteSource, options: IndexOptions = {}): Promise<LineIndex> {
  const index = new LineIndex();
  await indexInto(index, source, options);
  return index;
}
