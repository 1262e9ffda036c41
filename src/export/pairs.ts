import type { Annotations } from '../dataset/annotations';
import type { ParsedRecord, Response } from '../dataset/record';
import { assistantReplies } from '../dataset/replies';
import { isRefusal, type Refusal } from './types';

/**
 * A preference between two continuations of the same start of a reply: whole replies have an empty prefix; a
 * segment-level pair continues the reply's text that stands before its segment.
 */
export interface Preference {
  /** The reply of the conversation the pair is about (0-based among its assistant turns): its prompt is the conversation up to it. */
  turn: number;
  prefix: string;
  chosen: string;
  rejected: string;
}

/** Records read from a preference format (MMPR, TRL preference) carry a rejected response. */
export function isPreferenceRecord(parsed: ParsedRecord): boolean {
  return parsed.responses.some((response) => response.role === 'rejected');
}

/**
 * The record's preferences, in this order: its own chosen/rejected responses (or its search paths, correct over
 * wrong), then the annotator's pairs, each about the reply its `turn` names (response level as they are, segment
 * level after that reply's text before the segment). Repeats are dropped, so a `source` pair that copies the
 * record's own pair counts once.
 */
export function preferences(parsed: ParsedRecord, annotations: Annotations): Preference[] | Refusal {
  const found: Preference[] = [];
  const replies = assistantReplies(parsed);
  // The rejected side answers the last reply, the chosen one (replies.ts): a conversation's last, else the first response.
  const rejected = parsed.responses.find((response) => response.role === 'rejected');
  const chosen = replies.at(-1);
  if (chosen && rejected) found.push({ turn: replies.length - 1, prefix: '', chosen: chosen.text, rejected: rejected.text });
  // A tree search's paths: each one judged correct over each one judged wrong.
  const wrong = parsed.responses.filter((response) => response.correct === false);
  for (const right of parsed.responses.filter((response) => response.correct === true)) {
    for (const other of wrong) found.push({ turn: 0, prefix: '', chosen: right.text, rejected: other.text });
  }
  for (const [index, pair] of annotations.preferencePairs.entries()) {
    const turn = pair.turn ?? 0;
    if (turn > 0 && turn >= replies.length) {
      return {
        refusal: `preference pair ${index + 1} is about turn ${turn}, which the record does not have (it has ${replies.length} assistant turn${replies.length === 1 ? '' : 's'})`,
      };
    }
    if (pair.level === 'response') {
      found.push({ turn, prefix: '', chosen: pair.chosen, rejected: pair.rejected });
      continue;
    }
    const reply = replies.at(turn);
    const prefix = pair.position === undefined || reply === undefined ? null : textBefore(reply, pair.position);
    if (prefix === null) {
      const of = turn === 0 ? 'the response' : `the reply of turn ${turn}`;
      return { refusal: `preference pair ${index + 1} is segment-level but its position (${pair.position ?? 'none'}) is not a segment of ${of}` };
    }
    found.push({ turn, prefix, chosen: pair.chosen, rejected: pair.rejected });
  }
  const seen = new Set<string>();
  const unique = found.filter((preference) => {
    const key = JSON.stringify([preference.turn, preference.prefix, preference.chosen, preference.rejected]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (unique.length === 0)
    return { refusal: 'no preference pair: the record has no chosen/rejected responses, no correct and wrong search paths and no marked pairs' };
  return unique;
}

/** A reply's prompt made once however many lines are about the reply (its images are planned once). */
export function oncePerTurn<Prompt>(prompt: (turn: number) => Prompt | Refusal): (turn: number) => Prompt | Refusal {
  const made = new Map<number, Prompt | Refusal>();
  return (turn) => {
    const known = made.get(turn) ?? prompt(turn);
    made.set(turn, known);
    return known;
  };
}

/**
 * One line per preference of the record, made after the prompt of the reply it is about (`prompt(turn)`, made
 * once per turn); a refused prompt or pair refuses the record.
 */
export function linePerPreference<Prompt, Line>(
  prompt: (turn: number) => Prompt | Refusal,
  parsed: ParsedRecord,
  annotations: Annotations,
  line: (prompt: Prompt, preference: Preference) => Line,
): Line[] | Refusal {
  const found = preferences(parsed, annotations);
  if (isRefusal(found)) return found;
  const promptOf = oncePerTurn(prompt);
  const lines: Line[] = [];
  for (const preference of found) {
    const made = promptOf(preference.turn);
    if (isRefusal(made)) return made;
    lines.push(line(made, preference));
  }
  return lines;
}

/**
 * The response text before segment `index`, or null when there is no such segment. A segment's span is an
 * offset into the string that holds it, which is the response text unless the response joins several strings
 * (TRL stepwise completions); then the segment is found by searching forward from the previous one.
 */
function textBefore(response: Response, index: number): string | null {
  if (index >= response.segments.length) return null;
  let cursor = 0;
  for (const [i, segment] of response.segments.slice(0, index + 1).entries()) {
    const [start, end] = segment.span;
    const at = start >= cursor && response.text.slice(start, end) === segment.text ? start : response.text.indexOf(segment.text, cursor);
    if (at < 0) return null;
    if (i === index) return response.text.slice(0, at);
    cursor = at + segment.text.length;
  }
  return null;
}
