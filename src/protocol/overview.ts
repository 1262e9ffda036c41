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
});
export type OverviewMessage = z.infer<typeof overviewMessageSchema>;
