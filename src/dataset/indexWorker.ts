import { Worker } from 'node:worker_threads';
import { LineIndex, scanLines } from './lineIndex';

/** Below this size a scan takes a few milliseconds; a worker would cost more than it saves. */
export const WORKER_THRESHOLD_BYTES = 4 * 1024 * 1024;

/**
 * Indexes a file's bytes on a worker thread so that a 200 MB dataset does not stall the extension host.
 * The buffer moves to the worker and back without copying. The worker runs the same `scanLines` code,
 * passed as its source, so there is no second bundle to ship.
 */
export async function indexBytes(bytes: Uint8Array): Promise<{ bytes: Uint8Array; index: LineIndex }> {
  if (bytes.length < WORKER_THRESHOLD_BYTES) return { bytes, index: LineIndex.build(bytes) };
  // Transfer needs a buffer of our own; Node's pooled Buffers share theirs.
  const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  const source = `
    const { parentPort } = require('node:worker_threads');
    const scanLines = ${scanLines.toString()};
    parentPort.once('message', (buffer) => {
      const { starts, ends } = scanLines(new Uint8Array(buffer));
      parentPort.postMessage({ buffer, starts, ends }, [buffer, starts.buffer, ends.buffer]);
    });`;
  const worker = new Worker(source, { eval: true });
  try {
    const result = await new Promise<{ buffer: ArrayBuffer; starts: Float64Array; ends: Float64Array }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the line index worker stopped with exit code ${code}`)));
      const buffer = owned.buffer as ArrayBuffer;
      worker.postMessage(buffer, [buffer]);
    });
    return { bytes: new Uint8Array(result.buffer), index: new LineIndex(result.starts, result.ends, result.buffer.byteLength) };
  } finally {
    await worker.terminate();
  }
}
