import { z } from 'zod';
import { formatIdSchema } from '../record';
import { datasetStatsSchema } from '../statsSchema';

/** What a stats worker is given: a range of whole lines of the file, which it reads itself, and how to check them. */
export const statsJobSchema = z.object({
  /** The dataset file: read by the worker, names the tally and anchors relative image paths. */
  file: z.string(),
  start: z.number().int().min(0),
  end: z.number().int().min(0),
  format: formatIdSchema.optional(),
  imageRoots: z.array(z.string()),
});
export type StatsJob = z.infer<typeof statsJobSchema>;

/** A chunk's tally; `responses` lets the parts' mean segments per response be combined exactly. */
export const statsPartSchema = z.object({ stats: datasetStatsSchema, responses: z.number().int().min(0) });
export type StatsPart = z.infer<typeof statsPartSchema>;
