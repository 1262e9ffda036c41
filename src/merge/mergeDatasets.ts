import { type AnnotationConflict, type Annotations, ANNOTATION_KEY, HISTORY_LIMIT, type SegmentAnnotation } from '../dataset/annotations';
import { MERGED_SEGMENT_FIELDS } from '../dataset/conflicts';
import { parseRecord } from '../dataset/formats';
import { Occurrences, recordIdentity } from '../dataset/recordIdentity';
import { readAnnotations, readRecord, RecordError, sameJson, writeAnnotations } from '../dataset/recordEdit';
import { mergeRecordText } from './recordText';

export interface MergeResult {
  text: string;
  conflicts: number;
}

/** A dataset's line and the key its record is matched by. */
export interface DatasetLine {
  key: string;
  text: string;
}

/** A line's record key (see recordIdentity); a line that is no record, its text. */
function recordKey(text: string): string {
  try {
    const record = readRecord(text);
    const parsed = parseRecord(record);
    return recordIdentity(record, 'error' in parsed ? null : parsed);
  } catch (error) {
    if (error instanceof RecordError || error instanceof SyntaxError) return `line:${text}`;
    throw error;
  }
}

/** A dataset's lines, keyed, and its line ending (CRLF when any line has one) and whether the last line ends with it. */
export function datasetLines(text: string): { lines: DatasetLine[]; eol: string; finalEol: boolean } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const finalEol = text.endsWith('\n');
  const raw = text.split(/\r?\n/);
  if (finalEol) raw.pop();
  const occurrences = new Occurrences();
  return { lines: raw.map((line) => ({ key: occurrences.of(recordKey(line)), text: line })), eol, finalEol };
}

/** Which side's value a three-way merge takes: one that changed it (ours when both agree), or neither when they differ. */
function changedSide<T>(base: T, ours: T, theirs: T): 'ours' | 'theirs' | 'conflict' {
  if (sameJson(ours, theirs) || sameJson(theirs, base)) return 'ours';
  return sameJson(ours, base) ? 'theirs' : 'conflict';
}

/** Who gave each side's value, as a conflict names them; a side with no name is left out. */
interface Givers {
  ours?: string | undefined;
  theirs?: string | undefined;
}

/**
 * One value three ways: a side that changed it wins; both alike is that; both differently is a conflict (ours kept).
 * `compared` is what of the value counts as a change (a review's status and note, not who gave them).
 */
function pick<T>(path: string, base: T, ours: T, theirs: T, conflicts: AnnotationConflict[], by: Givers = {}, compared = (value: T): unknown => value): T {
  const side = changedSide(compared(base), compared(ours), compared(theirs));
  if (side === 'theirs') return theirs;
  if (side === 'conflict') {
    conflicts.push({
      path,
      ours,
      theirs,
      ...(by.ours === undefined ? {} : { oursBy: by.ours }),
      ...(by.theirs === undefined ? {} : { theirsBy: by.theirs }),
    });
  }
  return ours;
}

/** A list merged as a set: base's items either side kept, and what each side added, once. */
function union<T>(base: readonly T[], ours: readonly T[], theirs: readonly T[]): T[] {
  const removed = new Set(
    base.map((item) => JSON.stringify(item)).filter((item) => !ours.some((o) => JSON.stringify(o) === item) || !theirs.some((t) => JSON.stringify(t) === item)),
  );
  const seen = new Set<string>();
  return [...ours, ...theirs].filter((item) => {
    const key = JSON.stringify(item);
    if (removed.has(key) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function mergeSegment(
  key: string,
  base: SegmentAnnotation | undefined,
  ours: SegmentAnnotation | undefined,
  theirs: SegmentAnnotation | undefined,
  conflicts: AnnotationConflict[],
): SegmentAnnotation {
  const empty: SegmentAnnotation = { rating: null, alternatives: [] };
  const [b, o, t] = [base ?? empty, ours ?? empty, theirs ?? empty];
  const merged: SegmentAnnotation = { ...b, ...t, ...o };
  merged.rating = pick(`segments.${key}.rating`, b.rating, o.rating, t.rating, conflicts, { ours: o.ratedBy, theirs: t.ratedBy });
  // Who rated goes with the rating taken, never a conflict of its own.
  const ratedBy = changedSide(b.rating, o.rating, t.rating) === 'theirs' ? t.ratedBy : (o.ratedBy ?? (sameJson(o.rating, t.rating) ? t.ratedBy : undefined));
  if (ratedBy === undefined) delete merged.ratedBy;
  else merged.ratedBy = ratedBy;
  merged.alternatives = union(b.alternatives, o.alternatives, t.alternatives);
  for (const field of MERGED_SEGMENT_FIELDS) {
    const value = pick(`segments.${key}.${field}`, b[field], o[field], t[field], conflicts);
    if (value === undefined) delete merged[field];
    else (merged as Record<string, unknown>)[field] = value;
  }
  return merged;
}

/** Two sides' annotation blocks of one record merged key by key against the base's. */
function mergeAnnotations(base: Annotations, ours: Annotations, theirs: Annotations, conflicts: AnnotationConflict[]): Annotations {
  const segments: Annotations['segments'] = {};
  for (const key of new Set([...Object.keys(ours.segments), ...Object.keys(theirs.segments)])) {
    segments[key] = mergeSegment(key, base.segments[key], ours.segments[key], theirs.segments[key], conflicts);
  }
  const history = union(base.history, ours.history, theirs.history).sort((a, b) => a.at.localeCompare(b.at));
  return {
    ...base,
    ...theirs,
    ...ours,
    review: pick(
      'review',
      base.review,
      ours.review,
      theirs.review,
      conflicts,
      { ours: ours.review.by, theirs: theirs.review.by },
      ({ by: _, ...review }) => review,
    ),
    segments,
    preferencePairs: union(base.preferencePairs, ours.preferencePairs, theirs.preferencePairs),
    reflections: union(base.reflections, ours.reflections, theirs.reflections),
    history: history.slice(Math.max(0, history.length - HISTORY_LIMIT)),
  };
}

const annotationsOf = (text: string | undefined): Annotations => (text === undefined ? readAnnotations({}) : readAnnotations(readRecord(text)));
const withoutAnnotations = (text: string): string => {
  const { [ANNOTATION_KEY]: _, ...content } = readRecord(text);
  return JSON.stringify(content);
};

/** A record both sides changed: the annotations merged; the record's own text, a side's when only it changed it. */
function mergeRecord(base: string | undefined, ours: string, theirs: string): { text: string; conflicts: AnnotationConflict[] } {
  const conflicts: AnnotationConflict[] = [];
  let text = ours;
  const content = base === undefined ? undefined : withoutAnnotations(base);
  if (withoutAnnotations(ours) !== withoutAnnotations(theirs)) {
    if (content === withoutAnnotations(ours)) text = theirs;
    else if (content !== withoutAnnotations(theirs)) {
      // Both edited the record: edits of different steps (or fields) both stay; a step edited twice is a conflict of its own.
      const merged = base === undefined ? undefined : mergeRecordText(base, ours, theirs);
      if (merged === undefined) conflicts.push({ path: 'record', ours: withoutAnnotations(ours), theirs: withoutAnnotations(theirs) });
      else {
        text = merged.text;
        conflicts.push(...merged.conflicts);
      }
    }
  }
  const merged = mergeAnnotations(annotationsOf(base), annotationsOf(ours), annotationsOf(theirs), conflicts);
  // Conflicts a merge before left undecided stay with the new ones.
  const kept = union(annotationsOf(base).conflicts ?? [], annotationsOf(ours).conflicts ?? [], annotationsOf(theirs).conflicts ?? []).concat(conflicts);
  return { text: writeAnnotations(text, kept.length > 0 ? { ...merged, conflicts: kept } : merged), conflicts };
}

/**
 * A three-way merge of JSONL datasets (git's %O %A %B): records matched by key, a record changed on one side taking
 * that side, changed on both merged in its annotation block, real conflicts kept there under `conflicts`. Lines no
 * side changed keep their bytes; the result is always JSONL, in our order, with records only theirs added after.
 */
export function mergeDatasets(baseText: string, oursText: string, theirsText: string): MergeResult {
  const base = new Map(datasetLines(baseText).lines.map((line) => [line.key, line.text]));
  const oursFile = datasetLines(oursText);
  const theirs = new Map(datasetLines(theirsText).lines.map((line) => [line.key, line.text]));
  const ours = new Set(oursFile.lines.map((line) => line.key));
  let conflicts = 0;
  const out: string[] = [];
  for (const { key, text } of oursFile.lines) {
    const before = base.get(key);
    const other = theirs.get(key);
    if (other === undefined) {
      // Theirs deleted it: gone, unless we changed it, which is kept (work is never dropped by a merge).
      if (before === undefined || before !== text) out.push(text);
      continue;
    }
    if (other === text || other === before) out.push(text);
    else if (text === before) out.push(other);
    else {
      const merged = mergeRecord(before, text, other);
      conflicts += merged.conflicts.length;
      out.push(merged.text);
    }
  }
  for (const [key, text] of theirs) {
    if (ours.has(key)) continue;
    const before = base.get(key);
    // Added by theirs, or deleted by us but changed by them (kept, as above).
    if (before === undefined || before !== text) out.push(text);
  }
  const { eol, finalEol } = oursFile;
  return { text: out.join(eol) + (finalEol ? eol : ''), conflicts };
}
