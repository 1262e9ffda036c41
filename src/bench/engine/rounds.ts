import { median } from '../timing';

/** One side of a comparison: a run, and the figure it gives. */
export interface Side<T> {
  run(): Promise<T>;
  figure(result: T): number;
}

export interface Rounds<A, B> {
  ours: number;
  baseline: number;
  /** The results of the last round, for checks on what each side produced. */
  lastOurs: A;
  lastBaseline: B;
}

/**
 * A warm-up of each side, then `repeats` rounds of ours followed by the baseline, so that both see the same
 * load on a shared machine; gives the median figure of each.
 */
export async function interleaved<A, B>(repeats: number, ours: Side<A>, baseline: Side<B>): Promise<Rounds<A, B>> {
  let lastOurs = await ours.run();
  let lastBaseline = await baseline.run();
  const figures: { ours: number[]; baseline: number[] } = { ours: [], baseline: [] };
  for (let round = 0; round < repeats; round++) {
    lastOurs = await ours.run();
    figures.ours.push(ours.figure(lastOurs));
    lastBaseline = await baseline.run();
    figures.baseline.push(baseline.figure(lastBaseline));
  }
  return { ours: median(figures.ours), baseline: median(figures.baseline), lastOurs, lastBaseline };
}
