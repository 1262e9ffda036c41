import { parentPort, workerData } from 'node:worker_threads';
import { statsJobSchema } from './protocol';
import { tallyRange } from './tally';

// Entry of `dist/statsWorker.js`: reads and tallies the records of one range of a file, and answers once.
const job = statsJobSchema.parse(workerData);
void tallyRange(job.file, job.start, job.end, job).then((part) => parentPort?.postMessage(part));
