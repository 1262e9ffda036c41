import type { Annotations } from '../dataset/annotations';
import type { ParsedRecord, Response } from '../dataset/record';
import { isRefusal, type Refusal } from './types';

/**
 * A preference between two continuations of the same start of the response: whole responses have an empty
 * prefix; a segment-level pair continues the response text that stands before its segment.
 */
export interface Preference {
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
 * wrong), then the annotator's pairs
 * (response level as they are, segment level after the text before the segment). Repeats are dropped, so a
 * `source` pair that copies the record's own pair counts once.
 */
export function preferences(parsed: ParsedRecord, annotations: Annotations): Preference[] | Refusal {
  const found: Preference[] = [];
  const chosen = parsed.responses.find((response) => response.role === 'chosen');
  const rejected = parsed.responses.find((response) => response.role === 'rejected');
  if (chosen && rejected) found.push({ prefix: '', chosen: chosen.text, rejected: rejected.text });
  // A tree search's paths: each one judged correct over each one judged wrong.
  const wrong = parsed.responses.filter((response) => response.correct === false);
  for (const right of parsed.responses.filter((response) => response.correct === true)) {
    for (const other of wrong) found.push({ prefix: '', chosen: right.text, rejected: other.text });
  }
  for (const [index, pair] of annotations.preferencePairs.entries()) {
    if (pair.level === 'response') {
      found.push({ prefix: '', chosen: pair.chosen, rejected: pair.rejected });
      continue;
    }
    const response = parsed.responses.at(0);
    const prefix = pair.position === undefined || response === undefined ? null : textBefore(response, pair.position);
    if (prefix === null) {
      return { refusal: `preference pair ${index + 1} is segment-level but its position (${pair.position ?? 'none'}) is not a segment of the response` };
    }
    found.push({ prefix, chosen: pair.chosen, rejected: pair.rejected });
  }
  const seen = new Set<string>();
  const unique = found.filter((preference) => {
    const key = JSON.stringify([preference.prefix, preference.chosen, preference.rejected]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (unique.length === 0) return { refusal: 'no preference pair: the record has no chosen/rejected responses, no correct and wrong search paths and no marked pairs' };
  return unique;
}

/** One line per preference of the record, made after its prompt; a refused prompt or pair refuses the record. */
export function linePerPreference<Prompt, Line>(
  prompt: Prompt | Refusal,
  parsed: ParsedRecord,
  annotations: Annotations,
  line: (prompt: Prompt, preference: Preference) => Line,
): Line[] | Refusal {
  if (isRefusal(prompt)) return prompt;
  const found = preferences(parsed, annotations);
  return isRefusal(found) ? found : found.map((preference) => line(prompt, preference));
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
