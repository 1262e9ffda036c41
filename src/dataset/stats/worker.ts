import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { FileSource } from '../../files/byteSource';
import { Dataset } from '../dataset';
import { indexFileHere } from '../indexWorker';
import { statsJobSchema } from './protocol';
import { tallyRecords } from './tally';

// Entry of `dist/statsWorker.js`: reads and tallies the records of one range of a file, and answers once.
// The range is indexed and read a line at a time, so a worker holds its index and never its range.
const job = statsJobSchema.parse(workerData);
const source = FileSource.open(job.file, { start: job.start, end: job.end });
try {
  const dataset = Dataset.ofIndexed(path.basename(job.file), { source, lines: indexFileHere(source) });
  parentPort?.postMessage(tallyRecords(job.file, dataset, job));
} finally {
  source.close();
}
