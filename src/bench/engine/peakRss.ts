import * as fs from 'node:fs';
import { collectGarbage } from '../timing';

/** Linux resets a process's RSS high-water mark (VmHWM) when it writes 5 here, so a peak can be read for one stretch of work. */
const CLEAR_REFS = '/proc/self/clear_refs';
const STATUS = '/proc/self/status';

function resetHighWaterMark(): boolean {
  try {
    fs.writeFileSync(CLEAR_REFS, '5');
    return true;
  } catch {
    return false;
  }
}

const highWaterMark = (): number => Number(/^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(STATUS, 'utf8'))?.[1]) * 1024;

/**
 * The peak RSS of the process from now on. Exact where the kernel keeps a resettable high-water mark; elsewhere
 * the highest of the readings taken at `sample()`, which misses peaks inside a model call.
 */
export class PeakRss {
  readonly start: number;
  readonly exact: boolean;
  private sampled: number;

  constructor() {
    collectGarbage();
    this.exact = resetHighWaterMark();
    this.start = process.memoryUsage.rss();
    this.sampled = this.start;
  }

  sample(): void {
    this.sampled = Math.max(this.sampled, process.memoryUsage.rss());
  }

  get peak(): number {
    return this.exact ? highWaterMark() : this.sampled;
  }
}
