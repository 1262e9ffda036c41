import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { type ByteSource, FileSource, readFully } from '../files/byteSource';
import { LineIndex, type ScannedLines, scanChunks } from './lineIndex';

/** Below this size a scan takes a few milliseconds; a worker would cost more than it saves. */
export const WORKER_THRESHOLD_BYTES = 4 * 1024 * 1024;

/** A file is scanned this much at a time: large enough that each read is cheap, small enough to hold. */
export const INDEX_CHUNK_BYTES = 8 * 1024 * 1024;

/** How long a started worker waits for the next file (a save re-indexes, a revert reads again). */
const IDLE_MS = 60_000;

/** A file to scan: its open handle (shared by the threads of one process) and the part of it the source reads. */
interface FileJob {
  fd: number;
  offset: number;
  byteLength: number;
  chunkBytes: number;
}

type WorkerAnswer = { progress: number } | { scanned: ScannedLines; buffer?: ArrayBuffer } | { error: string };

/** The worker runs the same `scanChunks` and `readFully` code, passed as its source, so there is no second bundle to ship. */
const WORKER_SOURCE = `
  const { parentPort } = require('node:worker_threads');
  const { readSync } = require('node:fs');
  const { isUtf8 } = require('node:buffer');
  const scanChunks = ${scanChunks.toString()};
  const readFully = ${readFully.toString()};
  const transfers = (scanned) => [scanned.starts.buffer, scanned.ends.buffer, scanned.records.buffer, scanned.invalidUtf8.buffer];
  parentPort.on('message', (job) => {
    try {
      if (job instanceof ArrayBuffer) {
        const bytes = new Uint8Array(job);
        const scanned = scanChunks(bytes.length, (position, length) => bytes.subarray(position, position + length), Math.max(1, bytes.length), isUtf8);
        parentPort.postMessage({ scanned, buffer: job }, [job, ...transfers(scanned)]);
        return;
      }
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(job.chunkBytes, 3), job.byteLength));
      const readChunk = (position, length) => {
        if (readFully(readSync, job.fd, chunk, length, job.offset + position) < length) throw new Error('the file became shorter while it was read');
        return chunk.subarray(0, length);
      };
      const scanned = scanChunks(job.byteLength, readChunk, job.chunkBytes, isUtf8, (progress) => parentPort.postMessage({ progress }));
      parentPort.postMessage({ scanned }, transfers(scanned));
    } catch (error) {
      parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) });
    }
  });`;

let idle: { worker: Worker; timer: NodeJS.Timeout } | undefined;

function takeWorker(): Worker {
  const waiting = idle;
  idle = undefined;
  if (!waiting) return new Worker(WORKER_SOURCE, { eval: true });
  clearTimeout(waiting.timer);
  waiting.worker.ref();
  return waiting.worker;
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

/** Runs one job on the worker, passing its progress on; an abort stops the worker and rejects. */
async function runJob(job: ArrayBuffer | FileJob, options: IndexOptions): Promise<{ scanned: ScannedLines; buffer?: ArrayBuffer }> {
  options.signal?.throwIfAborted();
  const worker = takeWorker();
  let answered = false;
  try {
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
        if ('progress' in message) return options.onProgress?.(message.progress);
        settle();
        if ('error' in message) reject(new Error(message.error));
        else resolve(message);
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
  const { scanned, buffer } = await runJob(owned.buffer as ArrayBuffer, {});
  if (!buffer) throw new Error('the line index worker kept the bytes');
  return { bytes: new Uint8Array(buffer), index: new LineIndex(scanned) };
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
  const chunkBytes = options.chunkBytes ?? INDEX_CHUNK_BYTES;
  if (source.byteLength >= WORKER_THRESHOLD_BYTES) {
    const { scanned } = await runJob({ fd: source.fd, offset: source.offset, byteLength: source.byteLength, chunkBytes }, options);
    return new LineIndex(scanned);
  }
  return indexFileHere(source, options);
}

/** The same scan on this thread: for a small file, and for a thread that is a worker already. */
export function indexFileHere(source: FileSource, options: Omit<IndexOptions, 'signal'> = {}): LineIndex {
  const chunkBytes = options.chunkBytes ?? INDEX_CHUNK_BYTES;
  // At least 3 bytes: the byte order mark is read first.
  const chunk = Buffer.allocUnsafe(Math.min(Math.max(chunkBytes, 3), source.byteLength));
  const readChunk = (position: number, length: number): Uint8Array => {
    if (readFully(fs.readSync, source.fd, chunk, length, source.offset + position) < length) throw new Error(`${source.path} became shorter while it was read`);
    return chunk.subarray(0, length);
  };
  return new LineIndex(scanChunks(source.byteLength, readChunk, chunkBytes, isUtf8, options.onProgress));
}

/** The index of any source: a file streamed as `indexFile` does, bytes in memory in one piece. */
export function indexSource(source: ByteSource, options: IndexOptions = {}): Promise<LineIndex> {
  return source instanceof FileSource ? indexFile(source, options) : Promise.resolve(LineIndex.build(source.read(0, source.byteLength)));
}
