import { z } from 'zod';
import type { Annotations } from './annotations';

/** What one annotator did in a dataset (or a record): what the overview's table by annotator shows. */
export const annotatorWorkSchema = z.object({
  /** Records the annotator did anything in. */
  records: z.number().int().min(0),
  /** Steps whose rating is theirs. */
  ratings: z.number().int().min(0),
  /** Records whose review status they set (other than unreviewed). */
  reviews: z.number().int().min(0),
  /** Segment edits among the operations the records' history keeps (its last entries). */
  edits: z.number().int().min(0),
  /** Preference pairs they made. */
  pairs: z.number().int().min(0),
  reflections: z.number().int().min(0),
});
export type AnnotatorWork = z.infer<typeof annotatorWorkSchema>;

const noWork = (): AnnotatorWork => ({ records: 0, ratings: 0, reviews: 0, edits: 0, pairs: 0, reflections: 0 });

/**
 * Who did what in one record, by annotator: every name the block gives (`ratedBy`, `by` on the review, pairs,
 * reflections, written text and history) counts the record once for that annotator.
 */
export function annotatorWork(annotations: Annotations): Map<string, AnnotatorWork> {
  const work = new Map<string, AnnotatorWork>();
  const of = (name: string | undefined): AnnotatorWork | undefined => {
    if (name === undefined) return undefined;
    let found = work.get(name);
    if (!found) {
      found = { ...noWork(), records: 1 };
      work.set(name, found);
    }
    return found;
  };
  for (const segment of Object.values(annotations.segments)) {
    const rater = of(segment.rating === null ? undefined : segment.ratedBy);
    if (rater) rater.ratings++;
    for (const alternative of segment.alternatives) of(alternative.provenance.by);
  }
  const reviewer = of(annotations.review.status === 'unreviewed' ? undefined : annotations.review.by);
  if (reviewer) reviewer.reviews++;
  for (const pair of annotations.preferencePairs) {
    const maker = of(pair.by);
    if (maker) maker.pairs++;
  }
  for (const reflection of annotations.reflections) {
    const writer = of(reflection.by);
    if (writer) writer.reflections++;
  }
  for (const entry of annotations.history) {
    const editor = of(entry.by);
    if (editor && entry.operation === 'edit') editor.edits++;
  }
  return work;
}

/** Adds (or with -1 takes back) one record's work into a dataset's, dropping annotators left with no records. */
export function tallyAnnotatorWork(into: Record<string, AnnotatorWork>, record: ReadonlyMap<string, AnnotatorWork>, sign: 1 | -1): void {
  for (const [name, work] of record) {
    const total = into[name] ?? noWork();
    into[name] = total;
    for (const key of Object.keys(work) as (keyof AnnotatorWork)[]) total[key] += sign * work[key];
    if (total.records <= 0) delete into[name];
  }
}
