import { z } from 'zod';
import { reviewStatusSchema } from './annotations';
import { checkIdSchema } from './checks/result';
import { formatIdSchema } from './record';

/** A record's format, or why no adapter reads it. */
export const FACT_FORMATS = [...formatIdSchema.options, 'unparseable', 'unknown-format'] as const;
export type FactFormat = (typeof FACT_FORMATS)[number];

export const recordFilterSchema = z
  .object({
    /** Case-insensitive text to find in the question or the responses. */
    text: z.string().max(500).optional(),
    format: z.enum(FACT_FORMATS).optional(),
    review: reviewStatusSchema.optional(),
    check: checkIdSchema.optional(),
    unrated: z.boolean().optional(),
    hasAlternatives: z.boolean().optional(),
    /** Records with a step whose rating, suggestion and Monte Carlo score disagree (see stepDisagreement). */
    disagreement: z.boolean().optional(),
    /** Records this annotator did something in (a name the annotations give). */
    annotator: z.string().min(1).max(200).optional(),
    /** The order of the records shown: the file's, or the widest disagreement first. */
    /** Conflicts and disagreements: records with a conflict a merge kept, or a step whose labels disagree. */
    conflicts: z.boolean().optional(),
    /** The order of the records shown: the file's, or records with conflicts first, then the widest disagreement first. */
    order: z.enum(['file', 'disagreement']).optional(),
  })
  .strict();
export type RecordFilter = z.infer<typeof recordFilterSchema>;
