import type { Annotations } from '../dataset/annotations';
import { readAnnotations, readRecord, RecordError, writeAnnotations } from '../dataset/recordEdit';
import { datasetLines, mergeDatasets } from './mergeDatasets';

/** One annotator's file of a split dataset, and the name their work is signed with where the records name no one. */
export interface AnnotatorCopy {
  name: string;
  text: string;
}

export interface AnnotatorMerge {
  text: string;
  /** Records of the original that any annotator changed. */
  changed: number;
  /** Lines the annotators added, after the original's. */
  added: number;
  conflicts: number;
  /** 1-based lines of the merged dataset whose records got conflicts. */
  conflictedLines: number[];
}

/** A line's annotation block, or none for a line that is no record (or whose block cannot be read). */
function blockOf(text: string | undefined): Annotations | undefined {
  if (text === undefined) return undefined;
  try {
    return readAnnotations(readRecord(text));
  } catch (error) {
    if (error instanceof RecordError || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

const reviewed = ({ by: _, ...review }: Annotations['review']): string => JSON.stringify(review);

/**
 * An annotator's record with their name on the ratings and review they gave that name no one (an editor without
 * `cotStudio.annotator` set), so that a merge can say whose each value of a conflict is; other lines as they are.
 */
function signed(before: string, after: string, name: string): string {
  const was = blockOf(before);
  const annotations = blockOf(after);
  if (was === undefined || annotations === undefined) return after;
  let unsigned = false;
  const segments: Annotations['segments'] = {};
  for (const [key, segment] of Object.entries(annotations.segments)) {
    const rated = segment.rating !== null && segment.rating !== (was.segments[key]?.rating ?? null);
    unsigned ||= rated && segment.ratedBy === undefined;
    segments[key] = rated && segment.ratedBy === undefined ? { ...segment, ratedBy: name } : segment;
  }
  const review =
    annotations.review.by === undefined && reviewed(annotations.review) !== reviewed(was.review) ? { ...annotations.review, by: name } : annotations.review;
  if (!unsigned && review === annotations.review) return after;
  return writeAnnotations(after, { ...annotations, segments, review });
}

/**
 * The original as this annotator leaves it: their version of each record their file holds, the original's of the
 * rest (a record they were not given is not one they deleted), and the records they added after.
 */
function annotatorSide(original: ReturnType<typeof datasetLines>, copy: AnnotatorCopy): string {
  const own = datasetLines(copy.text).lines;
  const theirs = new Map(own.map((line) => [line.key, line.text]));
  const known = new Set(original.lines.map((line) => line.key));
  const lines = original.lines.map(({ key, text }) => {
    const changed = theirs.get(key);
    return changed === undefined || changed === text ? text : signed(text, changed, copy.name);
  });
  const added = own.filter((line) => !known.has(line.key) && line.text.trim() !== '').map((line) => line.text);
  const { eol, finalEol } = original;
  return [...lines, ...added].join(eol) + (finalEol ? eol : '');
}

/**
 * The annotators' files of a split dataset merged back into it: each file in turn merged three ways (mergeDatasets)
 * into the result so far, against the original. Records nobody changed keep their bytes and the original's order;
 * two annotators' different values of one thing (the same step rated differently) stay in the record's block under
 * `conflicts`, each named by who gave it.
 */
export function mergeAnnotatorCopies(original: string, copies: readonly AnnotatorCopy[]): AnnotatorMerge {
  const base = datasetLines(original);
  let text = original;
  let conflicts = 0;
  for (const copy of copies) {
    const merged = mergeDatasets(original, text, annotatorSide(base, copy));
    text = merged.text;
    conflicts += merged.conflicts;
  }
  const before = new Map(base.lines.map((line) => [line.key, line.text]));
  let changed = 0;
  let added = 0;
  const conflictedLines: number[] = [];
  for (const [index, line] of datasetLines(text).lines.entries()) {
    const was = before.get(line.key);
    if (was === line.text) continue;
    if (was === undefined) added++;
    else changed++;
    if ((blockOf(line.text)?.conflicts?.length ?? 0) > (blockOf(was)?.conflicts?.length ?? 0)) conflictedLines.push(index + 1);
  }
  return { text, changed, added, conflicts, conflictedLines };
}
