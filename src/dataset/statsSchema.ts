import { z } from 'zod';
import { annotatorWorkSchema } from './annotatorWork';
import { reviewStatusSchema } from './annotations';
import { checkIdSchema } from './checks/result';
import { segmentKindSchema } from './record';

const countsSchema = z.record(z.string(), z.number().int().min(0));

/** What `cot-studio stats --json` prints. */
export const datasetStatsSchema = z.object({
  file: z.string(),
  lines: z.number().int().min(0),
  records: z.number().int().min(0),
  /** Records per format, plus `unparseable` and `unknown-format` for lines no adapter reads. */
  formats: countsSchema,
  review: z.record(reviewStatusSchema, z.number().int().min(0)),
  /** Records failing each check (a record counts once per check). */
  checks: z.record(checkIdSchema, z.number().int().min(0)),
  /** Records with at least one error. */
  recordsWithErrors: z.number().int().min(0),
  segments: z.object({
    total: z.number().int().min(0),
    byKind: z.record(segmentKindSchema, z.number().int().min(0)),
    perResponse: z.object({ min: z.number(), mean: z.number(), max: z.number() }),
  }),
  /** Segments by text length in characters: `upTo` is each bucket's upper bound (the last is open). */
  segmentLengths: z.array(z.object({ upTo: z.number().nullable(), count: z.number().int().min(0) })),
  ratings: z.object({ correct: z.number().int(), neutral: z.number().int(), incorrect: z.number().int(), unrated: z.number().int() }),
  preferencePairs: z.number().int().min(0),
  alternatives: z.number().int().min(0),
  /**
   * Suggested step labels (Pre-label Steps) and what people did with them: `byPosition[i]` counts the steps at
   * position i + 1 of their reply (the last bucket: that position and later), so the change rate shows per position.
   */
  prelabels: z.object({
    suggested: z.number().int().min(0),
    confirmed: z.number().int().min(0),
    overridden: z.number().int().min(0),
    byPosition: z.array(z.object({ confirmed: z.number().int().min(0), overridden: z.number().int().min(0) })),
  }),
  /** What each annotator did, by the name the annotations give (`ratedBy`, `by`). */
  annotators: z.record(z.string(), annotatorWorkSchema),
});
export type DatasetStats = z.infer<typeof datasetStatsSchema>;
