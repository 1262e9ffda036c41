import { z } from 'zod';
import { type Annotations, emptyAnnotations, reviewStatusSchema } from './annotations';
import { type CheckContext, checkIdSchema, checkLine } from './checks';
import { formatIdSchema } from './record';
import { readAnnotations, RecordError } from './recordEdit';

/** A record's format, or why no adapter reads it. */
export const FACT_FORMATS = [...formatIdSchema.options, 'unparseable', 'unknown-format'] as const;
export type FactFormat = (typeof FACT_FORMATS)[number];

/** What the sample list can filter on, without the text itself. */
export interface RecordFacts {
  format: FactFormat;
  review: z.infer<typeof reviewStatusSchema>;
  checks: z.infer<typeof checkIdSchema>[];
  /** Some segment of the first response has no rating. */
  unrated: boolean;
  hasAlternatives: boolean;
}

export const recordFilterSchema = z
  .object({
    /** Case-insensitive text to find in the question or the responses. */
    text: z.string().max(500).optional(),
    format: z.enum(FACT_FORMATS).optional(),
    review: reviewStatusSchema.optional(),
    check: checkIdSchema.optional(),
    unrated: z.boolean().optional(),
    hasAlternatives: z.boolean().optional(),
  })
  .strict();
export type RecordFilter = z.infer<typeof recordFilterSchema>;

function annotationsOf(record: Parameters<typeof readAnnotations>[0]): Annotations {
  try {
    return readAnnotations(record);
  } catch (error) {
    if (error instanceof RecordError) return emptyAnnotations();
    throw error;
  }
}

/** Reads a line once and returns its facts and the text a search looks in (lower-cased). */
export function readFacts(lineText: string, context: CheckContext): { facts: RecordFacts; text: string } {
  const { record, parsed, results } = checkLine(lineText, context);
  const checks = [...new Set(results.map((result) => result.check))];
  if (!record || !parsed) {
    const format: FactFormat = checks.includes('unparseable') ? 'unparseable' : 'unknown-format';
    const review = record ? annotationsOf(record).review.status : 'unreviewed';
    return { facts: { format, review, checks, unrated: false, hasAlternatives: false }, text: lineText.toLowerCase() };
  }
  const annotations = annotationsOf(record);
  const segments = parsed.responses[0]?.segments ?? [];
  const unrated = segments.some((_, index) => (annotations.segments[String(index)]?.rating ?? null) === null);
  const hasAlternatives = Object.values(annotations.segments).some((segment) => segment.alternatives.length > 0);
  const text = [parsed.question ?? '', ...parsed.responses.map((response) => response.text)].join('\n').toLowerCase();
  return { facts: { format: parsed.format, review: annotations.review.status, checks, unrated, hasAlternatives }, text };
}

/** Whether facts (and the record's text, when the filter searches) pass a filter. */
export function matchesFilter(facts: RecordFacts, filter: RecordFilter, text?: string): boolean {
  if (filter.format !== undefined && facts.format !== filter.format) return false;
  if (filter.review !== undefined && facts.review !== filter.review) return false;
  if (filter.check !== undefined && !facts.checks.includes(filter.check)) return false;
  if (filter.unrated && !facts.unrated) return false;
  if (filter.hasAlternatives && !facts.hasAlternatives) return false;
  if (filter.text && !(text ?? '').includes(filter.text.toLowerCase())) return false;
  return true;
}
