import type { Alternative, Rating, SegmentAnnotation } from './annotations';
import type { Segment, SourceAlternative } from './record';

/** An alternative of a segment: one the annotations keep (`own`), or one the record holds itself (`source`). */
export type NumberedAlternative = { text: string; rating: Rating } & (
  | { own: Alternative; source?: undefined }
  | { source: SourceAlternative; own?: undefined }
);

/**
 * A segment's alternatives in the order they are numbered for the annotator: the annotations' own, then the
 * versions the record holds (PRM800K's other completions), which stay in the record and are not copied into
 * the annotations.
 */
export function segmentAlternatives(segment: Segment, annotation: SegmentAnnotation | undefined): NumberedAlternative[] {
  return [
    ...(annotation?.alternatives ?? []).map((own) => ({ text: own.text, rating: own.rating, own })),
    ...(segment.sourceAlternatives ?? []).map((source) => ({ text: source.text, rating: source.rating, source })),
  ];
}
