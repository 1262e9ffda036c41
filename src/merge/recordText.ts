import { ANNOTATION_KEY } from '../dataset/annotations';
import { parseLine } from '../dataset/formats';
import { isJsonObject, type Json, type JsonPath, type ParsedRecord } from '../dataset/record';
import { readRecord, setValue } from '../dataset/recordEdit';
import { annotatedReplies } from '../dataset/replies';

const same = (a: Json | undefined, b: Json | undefined): boolean => JSON.stringify(a) === JSON.stringify(b);
const samePath = (a: JsonPath, b: JsonPath): boolean => a.length === b.length && a.every((part, i) => part === b[i]);

/** Three versions of one record, each as its line and as its format reads it. */
interface Versions {
  base: ParsedRecord | null;
  ours: ParsedRecord | null;
  theirs: ParsedRecord | null;
}

/** The spans of the segments a string holds, in order; empty where the format cuts none from it. */
function spansAt(parsed: ParsedRecord | null, path: JsonPath): [number, number][] {
  if (!parsed) return [];
  return annotatedReplies(parsed)
    .flatMap((reply) => reply.response.segments)
    .filter((segment) => samePath(segment.path, path))
    .map((segment) => segment.span)
    .sort((a, b) => a[0] - b[0]);
}

/** A string cut at its segments: the text before the first, the first, the text between, ..., the text after the last. */
function pieces(text: string, spans: [number, number][]): string[] {
  const cut: string[] = [];
  let at = 0;
  for (const [start, end] of spans) {
    cut.push(text.slice(at, start), text.slice(start, end));
    at = end;
  }
  cut.push(text.slice(at));
  return cut;
}

/**
 * A string both sides changed, merged segment by segment: where each version cuts it into as many segments, a
 * piece one side changed takes that side; undefined when both changed one piece differently (one step edited twice).
 */
function mergeSegments(path: JsonPath, base: string, ours: string, theirs: string, versions: Versions): string | undefined {
  const spans = [spansAt(versions.base, path), spansAt(versions.ours, path), spansAt(versions.theirs, path)];
  if (spans[0].length === 0 || spans.some((each) => each.length !== spans[0].length)) return undefined;
  const [b, o, t] = [pieces(base, spans[0]), pieces(ours, spans[1]), pieces(theirs, spans[2])];
  const merged: string[] = [];
  for (let i = 0; i < b.length; i++) {
    const [was, mine, other] = [b[i] as string, o[i] as string, t[i] as string];
    if (mine === other || other === was) merged.push(mine);
    else if (mine === was) merged.push(other);
    else return undefined;
  }
  return merged.join('');
}

/** Collects the values to set on ours for theirs' changes; false at the first value both sides changed differently. */
function mergeValue(
  path: JsonPath,
  base: Json | undefined,
  ours: Json | undefined,
  theirs: Json | undefined,
  versions: Versions,
  edits: [JsonPath, Json | undefined][],
): boolean {
  if (same(ours, theirs) || same(theirs, base)) return true;
  if (same(ours, base)) {
    edits.push([path, theirs]);
    return true;
  }
  if (isJsonObject(base) && isJsonObject(ours) && isJsonObject(theirs)) {
    return [...new Set([...Object.keys(ours), ...Object.keys(theirs)])]
      .filter((key) => path.length > 0 || key !== ANNOTATION_KEY)
      .every((key) => mergeValue([...path, key], base[key], ours[key], theirs[key], versions, edits));
  }
  if (Array.isArray(base) && Array.isArray(ours) && Array.isArray(theirs) && ours.length === base.length && theirs.length === base.length) {
    return base.every((item, i) => mergeValue([...path, i], item, ours[i], theirs[i], versions, edits));
  }
  if (typeof base === 'string' && typeof ours === 'string' && typeof theirs === 'string') {
    const merged = mergeSegments(path, base, ours, theirs, versions);
    if (merged === undefined) return false;
    edits.push([path, merged]);
    return true;
  }
  return false;
}

/**
 * The record's own text (everything but its annotation block) when both sides changed it: merged value by value and,
 * inside a response, segment by segment, so two annotators who edited different steps both keep their edit. Starts
 * from ours, whose bytes stay wherever theirs changed nothing; undefined when both changed one thing differently.
 */
export function mergeRecordText(base: string, ours: string, theirs: string): string | undefined {
  const versions = { base: parseLine(base), ours: parseLine(ours), theirs: parseLine(theirs) };
  const edits: [JsonPath, Json | undefined][] = [];
  if (!mergeValue([], readRecord(base), readRecord(ours), readRecord(theirs), versions, edits)) return undefined;
  return edits.reduce((text, [path, value]) => setValue(text, path, value), ours);
}
