import { z } from 'zod';
import { reviewStatusSchema } from '../dataset/annotations';
import { formatIdSchema } from '../dataset/record';

/** One record of the dataset as the sample list shows it. */
export const recordSummarySchema = z.object({
  /** 1-based line number in the file, as in the Problems panel. */
  line: z.number().int().min(1),
  /** The first user question, or null when the record has none we can find. */
  question: z.string().nullable(),
  /** Why the line could not be read as a record; the line itself is kept as it is. */
  problem: z.string().nullable(),
  format: formatIdSchema.nullable(),
  review: reviewStatusSchema,
});
export type RecordSummary = z.infer<typeof recordSummarySchema>;

export const MAX_PAGE_SIZE = 500;

export const webviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  /** The user selected a record in the list (0-based record index). */
  z.object({ type: z.literal('select'), index: z.number().int().min(0) }),
  z.object({
    type: z.literal('requestPage'),
    /** 0-based index into the dataset's records (not a line number). */
    start: z.number().int().min(0),
    count: z.number().int().min(1).max(MAX_PAGE_SIZE),
  }),
]);
export type WebviewMessage = z.infer<typeof webviewMessageSchema>;

export const hostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('dataset'),
    fileName: z.string(),
    recordCount: z.number().int().min(0),
    lineCount: z.number().int().min(0),
  }),
  z.object({
    type: z.literal('page'),
    start: z.number().int().min(0),
    records: z.array(recordSummarySchema),
  }),
  /** Records changed (by an edit, undo, revert or a reload): pages holding them must be asked for again. */
  z.object({ type: z.literal('changed'), recordIndices: z.union([z.array(z.number().int().min(0)), z.literal('all')]), recordCount: z.number().int().min(0) }),
  /** The host moved the selection (navigation commands). */
  z.object({ type: z.literal('select'), index: z.number().int().min(0) }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type HostMessage = z.infer<typeof hostMessageSchema>;
