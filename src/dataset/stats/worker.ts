import { parentPort, workerData } from 'node:worker_threads';
import { statsJobSchema } from './protocol';
import { tallyRecords } from './tally';

// Entry of `dist/statsWorker.js`: tallies the records of one chunk of a file and answers once.
const job = statsJobSchema.parse(workerData);
parentPort?.postMessage(tallyRecords(job.file, job.bytes, job));
