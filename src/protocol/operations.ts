import { z } from 'zod';
import { ratingSchema, reviewStatusSchema } from '../dataset/annotations';

/**
 * Arguments of the public editing commands (`cotStudio.editSegment` ...). Keybindings, tasks, tests and
 * the webview all send these shapes; `line` is the 1-based line number as in the Problems panel and
 * `segment` the 0-based index in the record's response.
 */
const target = {
  /** The dataset to act on; the active dataset editor when left out. */
  uri: z.string().optional(),
  line: z.number().int().min(1),
};
const segmentTarget = {
  ...target,
  segment: z.number().int().min(0),
  /** For preference records: the `rejected` side instead of the first response. */
  side: z.enum(['primary', 'rejected']).optional(),
};

/** A version of a segment or response: the current text, an alternative by index, or given text. */
export const versionSchema = z.union([z.literal('current'), z.number().int().min(0), z.object({ text: z.string() }).strict()]);
export type Version = z.infer<typeof versionSchema>;

export const editSegmentArgsSchema = z.object({ ...segmentTarget, text: z.string() }).strict();
export const rateSegmentArgsSchema = z.object({ ...segmentTarget, rating: ratingSchema }).strict();
export const markFirstErrorArgsSchema = z.object(segmentTarget).strict();
export const setReviewStatusArgsSchema = z.object({ ...target, status: reviewStatusSchema, note: z.string().optional() }).strict();
export const insertReflectionArgsSchema = z
  .object({ ...segmentTarget, correction: z.string().min(1), phrase: z.string().min(1).optional() })
  .strict();
export const acceptAlternativeArgsSchema = z.object({ ...segmentTarget, alternative: z.number().int().min(0) }).strict();
export const markPreferenceArgsSchema = z
  .object({ ...target, segment: z.number().int().min(0).optional(), side: segmentTarget.side, chosen: versionSchema, rejected: versionSchema })
  .strict();

/** For preference records: exchange the chosen and rejected responses (the annotator judged the other one better). */
export const swapSidesArgsSchema = z.object(target).strict();

export const operationSchema = z.discriminatedUnion('kind', [
  editSegmentArgsSchema.extend({ kind: z.literal('editSegment') }),
  rateSegmentArgsSchema.extend({ kind: z.literal('rateSegment') }),
  markFirstErrorArgsSchema.extend({ kind: z.literal('markFirstError') }),
  setReviewStatusArgsSchema.extend({ kind: z.literal('setReviewStatus') }),
  insertReflectionArgsSchema.extend({ kind: z.literal('insertReflection') }),
  acceptAlternativeArgsSchema.extend({ kind: z.literal('acceptAlternative') }),
  markPreferenceArgsSchema.extend({ kind: z.literal('markPreference') }),
  swapSidesArgsSchema.extend({ kind: z.literal('swapSides') }),
]);
export type Operation = z.infer<typeof operationSchema>;
export type OperationKind = Operation['kind'];
