import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { readRange } from './fileRanges';
import { statsJobSchema } from './protocol';
import { tallyRecords } from './tally';

// Entry of `dist/statsWorker.js`: reads and tallies the records of one range of a file, and answers once.
const job = statsJobSchema.parse(workerData);
const fd = fs.openSync(job.file, 'r');
let bytes: Buffer;
try {
  bytes = readRange(fd, job.start, job.end);
} finally {
  fs.closeSync(fd);
}
parentPort?.postMessage(tallyRecords(job.file, bytes, job));
