import type { JsonPath, Response, Segment, SegmentKind, StepLabel } from '../record';

/** A string of the record and where it sits: what segments are cut from. */
export interface TextRef {
  text: string;
  path: JsonPath;
}

/** The segment `ref.text.slice(start, end)`: its span is exact, so replacing the slice edits the segment alone. */
export function sliceSegment(ref: TextRef, kind: SegmentKind, label: string, start: number, end: number): Segment {
  return { kind, label, text: ref.text.slice(start, end), path: ref.path, span: [start, end] };
}

/** A response with no structure the product knows: the whole string is one segment. */
export function wholeSegment(ref: TextRef): Segment {
  return sliceSegment(ref, 'response', 'response', 0, ref.text.length);
}

/**
 * Step `index` (0-based) of a response given as a list of step strings (from `start` of its string: a string may
 * hold the question before it), with the record's own label for it.
 */
export function stepSegment(ref: TextRef, index: number, sourceLabel?: StepLabel, start = 0): Segment {
  const segment = sliceSegment(ref, 'step', `Step ${index + 1}`, start, ref.text.length);
  return sourceLabel === undefined ? segment : { ...segment, sourceLabel };
}

/** A response made of step strings: its text reads them joined by blank lines. */
export function stepResponse(segments: Segment[], model?: string): Response {
  const response: Response = { role: 'response', text: segments.map((segment) => segment.text).join('\n\n'), segments };
  return model === undefined ? response : { ...response, model };
}
