import { z } from 'zod';
import { reviewStatusSchema } from './annotations';
import { formatIdSchema } from './record';

/** One record of the dataset as the sample list shows it. */
export const recordSummarySchema = z.object({
  /** 0-based index of the record among all records of the file. */
  index: z.number().int().min(0),
  /** 1-based line number in the file, as in the Problems panel. */
  line: z.number().int().min(1),
  /** The first user question, or null when the record has none we can find. */
  question: z.string().nullable(),
  /** Why the line could not be read as a record; the line itself is kept as it is. */
  problem: z.string().nullable(),
  format: formatIdSchema.nullable(),
  review: reviewStatusSchema,
  /** Segments of the replies (every assistant turn of a conversation), and how many of them carry a rating. */
  segments: z.number().int().min(0),
  rated: z.number().int().min(0),
  /** Checks the record fails, once the background pass has read it. */
  checks: z.array(z.string()),
});
export type RecordSummary = z.infer<typeof recordSummarySchema>;
