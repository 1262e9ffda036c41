import { type AnnotationConflict, type Annotations, annotationsSchema, ratingSchema, segmentAnnotationSchema } from './annotations';
import type { ConflictValue, ConflictView } from './conflictViewSchema';
import { parseLine } from './formats';
import type { FormatId, ParsedRecord } from './record';
import { readRecord, RecordError, replaceRecordContent, replaceSegmentText } from './recordEdit';
import { annotatedReplies, type Reply, replyKey, segmentOfKey } from './replies';

/** A step's fields besides its rating that a merge compares one by one (`cot-studio merge-driver`): each may conflict on its own. */
export const MERGED_SEGMENT_FIELDS = ['monteCarlo', 'prelabel', 'firstError', 'ratingProvenance', 'stale'] as const;

export type Take = 'ours' | 'theirs';

/** A step's own text, which two annotators edited differently (`segments.KEY.text`). */
const SEGMENT_TEXT = 'text';
/** What of a step can be in conflict: its rating, its text, and the fields merged one by one. */
const CONFLICT_FIELDS = ['rating', SEGMENT_TEXT, ...MERGED_SEGMENT_FIELDS] as const;

type ConflictTarget = { kind: 'review' } | { kind: 'record' } | { kind: 'segment'; key: string; field: (typeof CONFLICT_FIELDS)[number] };

/** Where a conflict's path points; undefined for a path this version does not know. */
function conflictTarget(path: string): ConflictTarget | undefined {
  if (path === 'review' || path === 'record') return { kind: path };
  const match = /^segments\.([^.]+)\.(\w+)$/.exec(path);
  const field = CONFLICT_FIELDS.find((known) => known === match?.[2]);
  return match && field ? { kind: 'segment', key: match[1] as string, field } : undefined;
}

/** The step a conflict's path is about, where the record has it. */
export function conflictStep(parsed: ParsedRecord, path: string): ReturnType<typeof segmentOfKey> {
  const target = conflictTarget(path);
  return target?.kind === 'segment' ? segmentOfKey(parsed, target.key) : undefined;
}

const versionOf = (conflict: AnnotationConflict, take: Take): { value: unknown; by: string | undefined } =>
  take === 'ours' ? { value: conflict.ours, by: conflict.oursBy } : { value: conflict.theirs, by: conflict.theirsBy };

/**
 * Puts the value one version gave where the conflict is: into the annotations, or, for the record's own text, into
 * the line, which is returned. A rating taken is the rating of whoever gave it. The step's other fields were merged
 * one by one, so any that differ are conflicts of their own and stay as they are.
 */
export function takeConflict(lineText: string, parsed: ParsedRecord, annotations: Annotations, conflict: AnnotationConflict, take: Take): string {
  const target = conflictTarget(conflict.path);
  if (!target) throw new RecordError(`the conflict at ${conflict.path} is at a place this version of CoT Studio does not know`);
  const { value, by } = versionOf(conflict, take);
  const refuse = (what: string) => new RecordError(`${take} of the conflict at ${conflict.path} is not ${what}`);
  switch (target.kind) {
    case 'review': {
      const review = annotationsSchema.shape.review.safeParse(value);
      if (!review.success) throw refuse('a review');
      annotations.review = review.data;
      return lineText;
    }
    case 'record':
      if (typeof value !== 'string') throw refuse("the record's text");
      return replaceRecordContent(lineText, readRecord(value));
    case 'segment': {
      if (target.field === SEGMENT_TEXT) {
        const step = segmentOfKey(parsed, target.key);
        if (typeof value !== 'string') throw refuse("a step's text");
        if (!step) throw new RecordError(`the record has no step ${target.key} for the conflict at ${conflict.path}`);
        return replaceSegmentText(lineText, step.segment, value);
      }
      const taken = segmentAnnotationSchema.shape[target.field].safeParse(value);
      if (!taken.success) throw refuse(`a ${target.field}`);
      annotations.segments[target.key] ??= { rating: null, alternatives: [] };
      const annotation = annotations.segments[target.key];
      if (taken.data === undefined) delete annotation[target.field];
      else Object.assign(annotation, { [target.field]: taken.data });
      if (target.field === 'rating') {
        if (by === undefined) delete annotation.ratedBy;
        else annotation.ratedBy = by;
      }
      return lineText;
    }
  }
}

const jsonText = (value: unknown): string | null => (value === undefined ? null : typeof value === 'string' ? value : JSON.stringify(value));

function shownValue(target: ConflictTarget | undefined, value: unknown): ConflictValue {
  if (target?.kind === 'segment' && target.field === 'rating') {
    const rating = ratingSchema.safeParse(value ?? null);
    if (rating.success) return { kind: 'rating', rating: rating.data };
  }
  if (target?.kind === 'review') {
    const review = annotationsSchema.shape.review.safeParse(value);
    if (review.success) return { kind: 'review', status: review.data.status, note: review.data.note ?? null };
  }
  return { kind: 'json', text: jsonText(value) };
}

type Part = ConflictView['parts'][number];

/** A version of the record's own text as its format reads it, or null when it cannot be read. */
const readVersion = (text: unknown, format: FormatId): ParsedRecord | null => (typeof text === 'string' ? parseLine(text, format) : null);

/** Each reply's segments of a version by annotation key, in order. */
function segmentsByKey(parsed: ParsedRecord): Map<string, { reply: Reply; label: string; text: string }> {
  return new Map(
    annotatedReplies(parsed).flatMap((reply) => reply.response.segments.map((segment, index) => [replyKey(reply, index), { reply, ...segment }] as const)),
  );
}

/**
 * Where two versions of the record's own text differ: its question, and each segment whose text is not the same (the
 * segments compared by where they stand); versions that cannot be read, or differ elsewhere, are shown whole.
 */
function recordDifferences(conflict: AnnotationConflict, format: FormatId): { parts: Part[]; ours: (string | null)[]; theirs: (string | null)[] } {
  const [ours, theirs] = [readVersion(conflict.ours, format), readVersion(conflict.theirs, format)];
  const rows: { part: Part; ours: string | null; theirs: string | null }[] = [];
  if (ours && theirs) {
    if (ours.question !== theirs.question)
      rows.push({ part: { kind: 'question', label: '', turn: 0, side: 'primary' }, ours: ours.question, theirs: theirs.question });
    const [mine, other] = [segmentsByKey(ours), segmentsByKey(theirs)];
    for (const key of new Set([...mine.keys(), ...other.keys()])) {
      const [a, b] = [mine.get(key), other.get(key)];
      const where = a ?? b;
      if (!where || a?.text === b?.text) continue;
      rows.push({
        part: { kind: 'segment', label: where.label, turn: where.reply.turn, side: where.reply.side },
        ours: a?.text ?? null,
        theirs: b?.text ?? null,
      });
    }
  }
  if (rows.length === 0)
    rows.push({ part: { kind: 'other', label: '', turn: 0, side: 'primary' }, ours: jsonText(conflict.ours), theirs: jsonText(conflict.theirs) });
  return { parts: rows.map((row) => row.part), ours: rows.map((row) => row.ours), theirs: rows.map((row) => row.theirs) };
}

/** The record's conflicts as the sample view shows them: where each is, and each version's value and who gave it. */
export function conflictViews(parsed: ParsedRecord, annotations: Annotations): ConflictView[] {
  return (annotations.conflicts ?? []).map((conflict, index): ConflictView => {
    const target = conflictTarget(conflict.path);
    const version = (take: Take, value: ConflictValue) => ({ by: versionOf(conflict, take).by ?? null, value });
    const base = { index, path: conflict.path, field: null, step: null, parts: [] };
    if (target?.kind === 'record') {
      const { parts, ours, theirs } = recordDifferences(conflict, parsed.format);
      return {
        ...base,
        subject: 'record',
        parts,
        ours: version('ours', { kind: 'record', texts: ours }),
        theirs: version('theirs', { kind: 'record', texts: theirs }),
      };
    }
    const found = conflictStep(parsed, conflict.path);
    const step = found
      ? {
          segment: found.index,
          side: found.reply.side,
          turn: found.reply.turn,
          model: found.reply.model ?? null,
          label: found.segment.label,
          text: found.segment.text,
        }
      : null;
    return {
      ...base,
      subject: target === undefined ? 'other' : target.kind === 'segment' ? 'step' : target.kind,
      field: target?.kind === 'segment' ? target.field : null,
      step,
      ours: version('ours', shownValue(target, conflict.ours)),
      theirs: version('theirs', shownValue(target, conflict.theirs)),
    };
  });
}
