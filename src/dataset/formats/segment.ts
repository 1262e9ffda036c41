import type { JsonPath, Segment, SegmentKind } from '../record';

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
