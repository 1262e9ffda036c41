import { type AnnotationConflict, type Annotations, ANNOTATION_KEY } from '../dataset/annotations';
import { parseLine } from '../dataset/formats';
import { isJsonObject, type Json, type JsonPath, type ParsedRecord, samePath } from '../dataset/record';
import { readAnnotations, readRecord, sameJson, setValue } from '../dataset/recordEdit';
import { annotatedReplies, type Reply, replyKey } from '../dataset/replies';

/** Three versions of one record as its format reads them, and the two sides' annotations. */
interface Versions {
  base: ParsedRecord | null;
  ours: ParsedRecord | null;
  theirs: ParsedRecord | null;
  annotations: { ours: Annotations; theirs: Annotations };
}

/** A segment a string holds: where it stands, and its reply and index there. */
interface Placed {
  span: [number, number];
  reply: Reply;
  index: number;
}

/** The segments a string holds, in order; empty where the format cuts none from it. */
function segmentsAt(parsed: ParsedRecord | null, path: JsonPath): Placed[] {
  if (!parsed) return [];
  return annotatedReplies(parsed)
    .flatMap((reply) => reply.response.segments.map((segment, index) => ({ segment, reply, index })))
    .filter(({ segment }) => samePath(segment.path, path))
    .map(({ segment, reply, index }) => ({ span: segment.span, reply, index }))
    .sort((a, b) => a.span[0] - b.span[0]);
}

/** Who last wrote a segment's text, as a side's history says (an edit, a reflection, an accepted alternative). */
function lastWriter(annotations: Annotations, { reply, index }: Placed): string | undefined {
  const writes = new Set(['edit', 'reflection', 'accept-alternative', 'reflection-proposal']);
  const written = annotations.history.filter(
    (entry) => writes.has(entry.operation) && entry.segment === index && (entry.turn ?? 0) === reply.turn && entry.model === reply.model,
  );
  return written.at(-1)?.by;
}

/** A string cut at its segments: the text before the first, the first, the text between, ..., the text after the last. */
function pieces(text: string, segments: readonly Placed[]): string[] {
  const cut: string[] = [];
  let at = 0;
  for (const {
    span: [start, end],
  } of segments) {
    cut.push(text.slice(at, start), text.slice(start, end));
    at = end;
  }
  cut.push(text.slice(at));
  return cut;
}

/**
 * A string both sides changed, merged segment by segment: where each version cuts it into as many segments, a
 * piece one side changed takes that side. A segment both edited differently keeps ours and becomes a conflict of
 * its own (`segments.KEY.text`); undefined when the text between segments (tags, headers) was changed both ways.
 */
function mergeSegments(path: JsonPath, base: string, ours: string, theirs: string, versions: Versions, conflicts: AnnotationConflict[]): string | undefined {
  const placed = [segmentsAt(versions.base, path), segmentsAt(versions.ours, path), segmentsAt(versions.theirs, path)] as const;
  if (placed[0].length === 0 || placed.some((each) => each.length !== placed[0].length)) return undefined;
  const [b, o, t] = [pieces(base, placed[0]), pieces(ours, placed[1]), pieces(theirs, placed[2])];
  const merged: string[] = [];
  for (let i = 0; i < b.length; i++) {
    const [was, mine, other] = [b[i] as string, o[i] as string, t[i] as string];
    if (mine === other || other === was) merged.push(mine);
    else if (mine === was) merged.push(other);
    else if (i % 2 === 0) return undefined;
    else {
      // Odd pieces are segments: a step edited twice keeps both versions for a person to choose.
      const [inOurs, inTheirs] = [placed[1][(i - 1) / 2] as Placed, placed[2][(i - 1) / 2] as Placed];
      const oursBy = lastWriter(versions.annotations.ours, inOurs);
      const theirsBy = lastWriter(versions.annotations.theirs, inTheirs);
      conflicts.push({
        path: `segments.${replyKey(inOurs.reply, inOurs.index)}.text`,
        ours: mine,
        theirs: other,
        ...(oursBy === undefined ? {} : { oursBy }),
        ...(theirsBy === undefined ? {} : { theirsBy }),
      });
      merged.push(mine);
    }
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
  conflicts: AnnotationConflict[],
): boolean {
  if (sameJson(ours, theirs) || sameJson(theirs, base)) return true;
  if (sameJson(ours, base)) {
    edits.push([path, theirs]);
    return true;
  }
  if (isJsonObject(base) && isJsonObject(ours) && isJsonObject(theirs)) {
    return [...new Set([...Object.keys(ours), ...Object.keys(theirs)])]
      .filter((key) => path.length > 0 || key !== ANNOTATION_KEY)
      .every((key) => mergeValue([...path, key], base[key], ours[key], theirs[key], versions, edits, conflicts));
  }
  if (Array.isArray(base) && Array.isArray(ours) && Array.isArray(theirs) && ours.length === base.length && theirs.length === base.length) {
    return base.every((item, i) => mergeValue([...path, i], item, ours[i], theirs[i], versions, edits, conflicts));
  }
  if (typeof base === 'string' && typeof ours === 'string' && typeof theirs === 'string') {
    const merged = mergeSegments(path, base, ours, theirs, versions, conflicts);
    if (merged === undefined) return false;
    edits.push([path, merged]);
    return true;
  }
  return false;
}

/**
 * The record's own text (everything but its annotation block) when both sides changed it: merged value by value and,
 * inside a response, segment by segment, so two annotators who edited different steps both keep their edit, and a
 * step both edited keeps ours with a conflict naming both texts. Starts from ours, whose bytes stay wherever theirs
 * changed nothing; undefined when both changed anything else differently (the record is then one conflict).
 */
export function mergeRecordText(base: string, ours: string, theirs: string): { text: string; conflicts: AnnotationConflict[] } | undefined {
  const [oursRecord, theirsRecord] = [readRecord(ours), readRecord(theirs)];
  const versions: Versions = {
    base: parseLine(base),
    ours: parseLine(ours),
    theirs: parseLine(theirs),
    annotations: { ours: readAnnotations(oursRecord), theirs: readAnnotations(theirsRecord) },
  };
  const edits: [JsonPath, Json | undefined][] = [];
  const conflicts: AnnotationConflict[] = [];
  if (!mergeValue([], readRecord(base), oursRecord, theirsRecord, versions, edits, conflicts)) return undefined;
  return { text: edits.reduce((text, [path, value]) => setValue(text, path, value), ours), conflicts };
}
