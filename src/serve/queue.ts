import { Semaphore } from '../backends/openai/semaphore';

/** Too many requests are waiting already. */
export class QueueFullError extends Error {}

/** Runs generations one at a time (one GPU) in arrival order. */
export class GenerationQueue {
  private readonly slot = new Semaphore(1);
  /** Requests running or waiting. */
  private inLine = 0;

  constructor(private readonly maxWaiting = Number.POSITIVE_INFINITY) {}

  /** Runs `task` after every earlier one; resolves undefined, without running it, when `signal` aborts first. */
  async run<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T | undefined> {
    if (this.inLine > this.maxWaiting) throw new QueueFullError(`${this.inLine - 1} request(s) are already waiting`);
    this.inLine++;
    try {
      let release: () => void;
      try {
        release = await this.slot.acquire(signal);
      } catch (error) {
        if (signal.aborted) return undefined;
        throw error;
      }
      try {
        return await task();
      } finally {
        release();
      }
    } finally {
      this.inLine--;
    }
  }
}
