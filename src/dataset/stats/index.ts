import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FileSource } from '../../files/byteSource';
import { WORKER_THRESHOLD_BYTES } from '../indexWorker';
import type { FormatId } from '../record';
import type { DatasetStats } from '../statsSchema';
import { lineRanges } from './fileRanges';
import { mergeStatsParts } from './merge';
import { type StatsJob, type StatsPart, statsPartSchema } from './protocol';
import { tallyRange } from './tally';

export interface FileStatsOptions {
  format?: FormatId;
  imageRoots: string[];
  /** Worker threads for a large file; one per core by default. */
  workers?: number;
}

/** The bundle next to this one that `dist/statsWorker.js` is built into. */
const WORKER_SCRIPT = path.join(__dirname, 'statsWorker.js');

function tallyInWorker(job: StatsJob): Promise<StatsPart> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SCRIPT, { workerData: job });
    worker.once('message', (message: unknown) => resolve(statsPartSchema.parse(message)));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the stats worker stopped with exit code ${code} before it answered`)));
  });
}

/**
 * The stats of a file on disk, as `datasetStats` counts them. Checking every record is the slow part of
 * `cot-studio stats` (several times a bare JSON.parse), so a large file is cut at line ends into one range
 * per core, and each range is read and checked on a worker thread of its own: reading and checking both
 * run in parallel.
 */
export async function fileStats(file: string, options: FileStatsOptions): Promise<DatasetStats> {
  const workers = options.workers ?? os.availableParallelism();
  const source = FileSource.open(file);
  const size = source.byteLength;
  let ranges: [number, number][];
  try {
    ranges = size < WORKER_THRESHOLD_BYTES || workers < 2 ? [[0, size]] : lineRanges(source.fd, size, workers);
  } finally {
    source.close();
  }
  if (ranges.length === 1) return (await tallyRange(file, 0, size, options)).stats;
  const jobs = ranges.map(([start, end]): StatsJob => ({ file, start, end, format: options.format, imageRoots: options.imageRoots }));
  return mergeStatsParts(path.basename(file), await Promise.all(jobs.map(tallyInWorker)));
}
