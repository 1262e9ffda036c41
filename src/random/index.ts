import { z } from 'zod';

/** A seed as commands and settings take one: what `randomInt(0, 2 ** 31)` draws when none is given. */
export const seedSchema = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31);

/**
 * mulberry32: a small, fast seeded generator. Everything that must replay (sampling, search tie-breaks,
 * generated test models and benchmark files) draws from it, so one seed gives one result everywhere.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A record's seed, from a run's seed and the record's line alone, so a batch's output does not depend on the
 * order records finish in or on which run did them. Beam stages step their seed by 100 (beam.ts) and sampled
 * candidates by 1 (candidate i uses seed + i); 1000 per line keeps neighbouring records apart.
 */
export const lineSeed = (seed: number, line: number): number => (seed + 1000 * line) % 2 ** 31;
