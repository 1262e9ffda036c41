/**
 * Strings of a record that repeat a segment's text. VisualPRM's `response` is its steps joined by blank lines
 * (InternVL cuts the steps out of it), and VL-PRM300K's training conversation restates step i in its i-th
 * question turn (the first after `### Question:` … `### Solution Process:`). An edit of the step writes them
 * too, so that the record does not say two things.
 */
import { readChat } from './formats/chat';
import type { TextRef } from './formats/segment';
import type { FormatId, JsonObject, JsonPath, ParsedRecord, Segment } from './record';
import { readRecord, replaceSegmentText } from './recordEdit';
import { flatMapped } from './flatMapped';

/** A string that repeats a segment, and where in it the segment's text is expected (null: anywhere). */
interface Repeat {
  holder: TextRef;
  expected: number | null;
}

/** How InternVL joins the steps of a response (`split_response` cuts it at the same separator). */
const STEP_SEPARATOR = '\n\n';

function visualPrmRepeats(record: JsonObject, parsed: ParsedRecord, segment: Segment): Repeat[] {
  const [key, step] = segment.path;
  if (key !== 'steps_with_score' || typeof step !== 'number') return [];
  const repeats: Repeat[] = [];
  if (typeof record.response === 'string') {
    const before = parsed.responses[0]?.segments.slice(0, step) ?? [];
    const expected = before.reduce((offset, earlier) => offset + earlier.text.length + STEP_SEPARATOR.length, 0);
    repeats.push({ holder: { text: record.response, path: ['response'] }, expected });
  }
  // Early stopping ends the conversation at the first `-`: later steps have no turn.
  const turn = readChat(record)?.turns.filter((candidate) => candidate.role === 'user')[step];
  for (const holder of turn?.texts ?? []) repeats.push({ holder, expected: null });
  return repeats;
}

const REPEATS: Partial<Record<FormatId, (record: JsonObject, parsed: ParsedRecord, segment: Segment) => Repeat[]>> = {
  visualprm: visualPrmRepeats,
};

/**
 * Where `holder` has `text`: at the expected place, or else at its only occurrence. A holder that has it
 * nowhere, or more than once elsewhere, was changed apart from the segment, and no place in it is safe to
 * rewrite: it is left as it is (the `linked-text` check says so).
 */
function locate(holder: string, text: string, expected: number | null): number | null {
  if (expected !== null && expected <= holder.length && holder.startsWith(text, expected)) return expected;
  const first = holder.indexOf(text);
  return first >= 0 && holder.indexOf(text, first + 1) < 0 ? first : null;
}

function repeatsOf(record: JsonObject, parsed: ParsedRecord, segment: Segment): { repeat: Repeat; at: number | null }[] {
  return (REPEATS[parsed.format]?.(record, parsed, segment) ?? []).map((repeat) => ({ repeat, at: locate(repeat.holder.text, segment.text, repeat.expected) }));
}

/** The spans of other strings of the record that hold a segment's text, as segments of their own. */
export function linkedSegments(record: JsonObject, parsed: ParsedRecord, segment: Segment): Segment[] {
  return flatMapped(repeatsOf(record, parsed, segment), ({ repeat, at }) =>
    at === null ? [] : [{ kind: segment.kind, label: segment.label, text: segment.text, path: repeat.holder.path, span: [at, at + segment.text.length] }],
  );
}

/** Strings that should repeat a segment of the first response and do not hold its text: where, and which segment. */
export function unlinkedRepeats(record: JsonObject, parsed: ParsedRecord): { path: JsonPath; segment: Segment }[] {
  return flatMapped(parsed.responses[0]?.segments ?? [], (segment) =>
    flatMapped(repeatsOf(record, parsed, segment), ({ repeat, at }) => (at === null ? [{ path: repeat.holder.path, segment }] : [])),
  );
}

/** Writes `text` over a segment and over each string of the record that repeats it (each a string of its own). */
export function replaceSegmentEverywhere(lineText: string, parsed: ParsedRecord, segment: Segment, text: string): string {
  const linked = linkedSegments(readRecord(lineText), parsed, segment);
  return [segment, ...linked].reduce((line, span) => replaceSegmentText(line, span, text), lineText);
}
