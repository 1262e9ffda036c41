import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { WORKER_THRESHOLD_BYTES } from '../indexWorker';
import type { FormatId } from '../record';
import type { DatasetStats } from '../statsSchema';
import { mergeStatsParts } from './merge';
import { type StatsJob, type StatsPart, statsPartSchema } from './protocol';
import { tallyRecords } from './tally';

export { mergeStatsParts } from './merge';

export interface FileStatsOptions {
  format?: FormatId;
  imageRoots: string[];
  /** Worker threads for a large file; one per core by default. */
  workers?: number;
}

/** Cuts the bytes into about `count` pieces of whole lines, each a copy that can move to a worker. */
export function chunkAtLines(bytes: Uint8Array, count: number): Uint8Array<ArrayBuffer>[] {
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let start = 0;
  for (let piece = 1; piece <= count && start < bytes.length; piece++) {
    const newline = piece === count ? -1 : bytes.indexOf(0x0a, Math.max(start, Math.floor((bytes.length * piece) / count)));
    const end = newline === -1 ? bytes.length : newline + 1;
    // A copy (a Node Buffer's slice would share the file's memory, which cannot move to two workers).
    chunks.push(new Uint8Array(bytes.subarray(start, end)));
    start = end;
  }
  return chunks;
}

/** The bundle next to this one that `dist/statsWorker.js` is built into. */
const WORKER_SCRIPT = path.join(__dirname, 'statsWorker.js');

function tallyInWorker(job: StatsJob): Promise<StatsPart> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SCRIPT, { workerData: job, transferList: [job.bytes.buffer as ArrayBuffer] });
    worker.once('message', (message: unknown) => resolve(statsPartSchema.parse(message)));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the stats worker stopped with exit code ${code} before it answered`)));
  });
}

/**
 * The stats of a file as read from disk, as `datasetStats` counts them. Checking every record is the slow
 * part of `cot-studio stats` (a few times a bare JSON.parse), so a large file is split at line ends and
 * its chunks are checked on one worker thread per core.
 */
export async function fileStats(file: string, bytes: Uint8Array, options: FileStatsOptions): Promise<DatasetStats> {
  const workers = options.workers ?? os.availableParallelism();
  if (bytes.length < WORKER_THRESHOLD_BYTES || workers < 2) return tallyRecords(file, bytes, options).stats;
  const jobs = chunkAtLines(bytes, workers).map((chunk): StatsJob => ({ file, bytes: chunk, format: options.format, imageRoots: options.imageRoots }));
  return mergeStatsParts(path.basename(file), await Promise.all(jobs.map(tallyInWorker)));
}
