export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The median of `repeats` timings of `run`, in milliseconds: shared machines make single runs noisy. */
export async function medianMs(repeats: number, run: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** One timing of `run` in microseconds; synchronous, so no await adds to a short timing. */
export function micros(run: () => unknown): number {
  const start = performance.now();
  run();
  return (performance.now() - start) * 1000;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Whether memory figures are taken after a full collection (node --expose-gc). */
export const gcExposed = gc !== undefined;

/**
 * Collects garbage when node allows it, so a memory reading shows what is still held; the second pass
 * frees what the first one's finalizers let go.
 */
export function collectGarbage(): void {
  gc?.();
  gc?.();
}
