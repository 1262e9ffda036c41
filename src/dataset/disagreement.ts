import { type SegmentAnnotation, segmentRating } from './annotations';
import type { Segment } from './record';

/** Steps whose labels lie at least this far apart (half the scale: +1 against a Monte Carlo score of 0.5) disagree. */
export const DISAGREEMENT_THRESHOLD = 0.5;

/**
 * How far apart a step's labels are, in [0, 1]: the person's rating (or the record's own label), a model's
 * suggestion and the Monte Carlo score (the annotation's, else the record's), put on one scale from -1 to +1 (a score
 * s as 2s - 1, so 0 reads as -1 and 1 as +1); half the widest gap. Undefined when the step has fewer than two labels.
 */
export function stepDisagreement(annotation: SegmentAnnotation | undefined, segment: Segment | undefined): number | undefined {
  const values: number[] = [];
  const rating = segmentRating(annotation, segment);
  if (rating !== null) values.push(rating);
  if (annotation?.prelabel) values.push(annotation.prelabel.label);
  const score = annotation?.monteCarlo?.score ?? segment?.sourceLabel?.score;
  if (score !== undefined) values.push(2 * score - 1);
  if (values.length < 2) return undefined;
  return (Math.max(...values) - Math.min(...values)) / 2;
}
