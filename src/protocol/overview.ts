import { z } from 'zod';
import { datasetStatsSchema } from '../dataset/statsSchema';

/** The overview page says it is ready for data; it sends nothing else. */
export const overviewRequestSchema = z.object({ type: z.literal('ready') });

/** Counts and distributions of a dataset, sent again as work on it progresses. */
export const overviewMessageSchema = z.object({
  type: z.literal('overview'),
  stats: datasetStatsSchema,
  /** False while the records are still being read. */
  complete: z.boolean(),
  /** The records read so far. */
  counted: z.number().int().min(0),
  /** While the file is still being indexed: how far, from 0 to 1 (its record count is a lower bound). */
  indexing: z.number().min(0).max(1).optional(),
});
export type OverviewMessage = z.infer<typeof overviewMessageSchema>;
