import { z } from 'zod';
import { formatIdSchema } from '../record';
import { datasetStatsSchema } from '../statsSchema';

/** What a stats worker is given: whole lines of the file (the first chunk keeps the BOM) and how to check them. */
export const statsJobSchema = z.object({
  /** The dataset file: names the tally and anchors relative image paths. */
  file: z.string(),
  bytes: z.instanceof(Uint8Array),
  format: formatIdSchema.optional(),
  imageRoots: z.array(z.string()),
});
export type StatsJob = z.infer<typeof statsJobSchema>;

/** A chunk's tally; `responses` lets the parts' mean segments per response be combined exactly. */
export const statsPartSchema = z.object({ stats: datasetStatsSchema, responses: z.number().int().min(0) });
export type StatsPart = z.infer<typeof statsPartSchema>;
