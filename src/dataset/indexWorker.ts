import { Worker } from 'node:worker_threads';
import { LineIndex, scanLines } from './lineIndex';

/** Below this size a scan takes a few milliseconds; a worker would cost more than it saves. */
export const WORKER_THRESHOLD_BYTES = 4 * 1024 * 1024;

/** How long a started worker waits for the next file (a save re-indexes, a revert reads again). */
const IDLE_MS = 60_000;

/** The worker runs the same `scanLines` code, passed as its source, so there is no second bundle to ship. */
const WORKER_SOURCE = `
  const { parentPort } = require('node:worker_threads');
  const scanLines = ${scanLines.toString()};
  parentPort.on('message', (buffer) => {
    const { starts, ends } = scanLines(new Uint8Array(buffer));
    parentPort.postMessage({ buffer, starts, ends }, [buffer, starts.buffer, ends.buffer]);
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

/**
 * Indexes a file's bytes on a worker thread so that a 200 MB dataset does not stall the extension host.
 * The buffer moves to the worker and back without copying.
 */
export async function indexBytes(bytes: Uint8Array): Promise<{ bytes: Uint8Array; index: LineIndex }> {
  if (bytes.length < WORKER_THRESHOLD_BYTES) return { bytes, index: LineIndex.build(bytes) };
  // Transfer needs a buffer of our own; Node's pooled Buffers share theirs.
  const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  const worker = takeWorker();
  let answered = false;
  try {
    const result = await new Promise<{ buffer: ArrayBuffer; starts: Float64Array; ends: Float64Array }>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`the line index worker stopped with exit code ${code}`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (message: { buffer: ArrayBuffer; starts: Float64Array; ends: Float64Array }) => {
        answered = true;
        worker.off('error', reject);
        worker.off('exit', onExit);
        resolve(message);
      });
      const buffer = owned.buffer as ArrayBuffer;
      worker.postMessage(buffer, [buffer]);
    });
    return { bytes: new Uint8Array(result.buffer), index: new LineIndex(result.starts, result.ends, result.buffer.byteLength) };
  } finally {
    if (answered) release(worker);
    else void worker.terminate();
  }
}
