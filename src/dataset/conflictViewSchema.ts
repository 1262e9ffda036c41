import { z } from 'zod';
import { ratingSchema, reviewStatusSchema, sideSchema } from './annotations';

/** One version's value of a conflict, ready to show. */
export const conflictValueSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rating'), rating: ratingSchema }),
  z.object({ kind: z.literal('review'), status: reviewStatusSchema, note: z.string().nullable() }),
  /** Any other value, as JSON text; null where the version has none. */
  z.object({ kind: z.literal('json'), text: z.string().nullable() }),
  /** The record's own text: this version of each part that differs (the conflict's `parts`); null where it has no such part. */
  z.object({ kind: z.literal('record'), texts: z.array(z.string().nullable()) }),
]);
export type ConflictValue = z.infer<typeof conflictValueSchema>;

/** A version of a conflict: its value and the annotator who gave it, when the block says. */
const conflictVersionSchema = z.object({ by: z.string().nullable(), value: conflictValueSchema });

/** A conflict a merge kept in a record, as the sample view shows it for adjudication. */
export const conflictViewSchema = z.object({
  /** Its index in the record's conflicts, and its path (`segments.2.rating`): what resolveConflict names. */
  index: z.number().int().min(0),
  path: z.string(),
  /** What the conflict is about: a value of a step, the review, the record's own text; `other` for a path not known. */
  subject: z.enum(['step', 'review', 'record', 'other']),
  /** The step's field (`rating`, `monteCarlo` ...) for a step's value. */
  field: z.string().nullable(),
  /** The step, where the record has it: the reply it is in (as operations address it), its label and text. */
  step: z
    .object({
      segment: z.number().int().min(0),
      side: sideSchema,
      turn: z.number().int().min(0),
      model: z.string().nullable(),
      label: z.string(),
      text: z.string(),
    })
    .nullable(),
  /** For the record's own text: the parts whose text differs between the versions (`other`: the versions read as JSON). */
  parts: z.array(z.object({ kind: z.enum(['question', 'segment', 'other']), label: z.string(), turn: z.number().int().min(0), side: sideSchema })),
  ours: conflictVersionSchema,
  theirs: conflictVersionSchema,
});
export type ConflictView = z.infer<typeof conflictViewSchema>;
