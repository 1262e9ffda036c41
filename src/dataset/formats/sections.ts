import type { Segment } from '../record';
import { sliceSegment, type TextRef } from './segment';

/**
 * Mulberry's section headers; `rank` is the position the grammar gives them (steps rank 3). `spellings` is the
 * pattern of every way the header is read: Mulberry's `reformat_reasoning` (comcts/code/data_construction.py)
 * rewrites each header to its canonical form except `### Let's think step by step`, which it keeps as the model
 * ended it (`.`, `:` or nothing), and its `check_data` (comcts/code/utils.py) accepts any of them.
 */
export const SECTIONS = [
  { header: '### Image Description:', label: 'Image Description', rank: 0 },
  { header: '### Rationales:', label: 'Rationales', rank: 1 },
  { header: "### Let's think step by step.", label: "Let's think step by step", rank: 2, spellings: "### Let's think step by step[.:]?" },
  { header: '### The final answer is:', label: 'Final answer', rank: 4 },
] as const;
const STEP_RANK = 3;

/** One recognised `###` header line; other `###` lines are body text. */
export interface Header {
  header: string;
  label: string;
  /** The step number of `### Step k:`, null for a section header. */
  step: number | null;
  rank: number;
  start: number;
  end: number;
}

const MARK = '### ';
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Each spelling without its leading `### `, which is found with indexOf before the pattern is tried.
const spellings = SECTIONS.map((section) => `(${('spellings' in section ? section.spellings : literal(section.header)).slice(MARK.length)})`);
/** Tried where a line starts with `### `: group 1 is a step's number; group 2 + i matches SECTIONS[i]. */
const HEADER = new RegExp(`### (?:Step (\\d+):|${spellings.join('|')})`, 'y');
/** The line terminators after which a multiline `^` matches. */
const LINE_BREAKS = new Set(['\n', '\r', '\u2028', '\u2029']);

/**
 * The first header line at or after `from`. Each `### ` is found with indexOf and the pattern tried only where
 * it starts a line: a multiline `^` pattern is tried at every character, several times slower on long responses.
 */
function nextHeader(text: string, from: number): RegExpExecArray | null {
  for (let at = text.indexOf(MARK, from); at !== -1; at = text.indexOf(MARK, at + 1)) {
    if (at > 0 && !LINE_BREAKS.has(text[at - 1])) continue;
    HEADER.lastIndex = at;
    const match = HEADER.exec(text);
    if (match) return match;
  }
  return null;
}

export function findHeaders(text: string): Header[] {
  const headers: Header[] = [];
  for (let match = nextHeader(text, 0); match !== null; match = nextHeader(text, match.index + match[0].length)) {
    const start = match.index;
    const end = start + match[0].length;
    if (match[1] !== undefined) {
      const step = Number(match[1]);
      headers.push({ header: match[0], label: `Step ${step}`, step, rank: STEP_RANK, start, end });
      continue;
    }
    const groups = match;
    const section = SECTIONS.find((_, index) => groups[index + 2] !== undefined) ?? SECTIONS[0];
    headers.push({ header: match[0], label: section.label, step: null, rank: section.rank, start, end });
  }
  return headers;
}

export function hasSections(text: string): boolean {
  return nextHeader(text, 0) !== null;
}

/**
 * One segment per header: the body from the line after the header (or the rest of the header's line) up
 * to the next header, without the blank lines that separate sections, so replacing a body keeps the
 * layout. Text before the first header is no segment. A reflection (wrong step, the reflection phrase,
 * the same step header again) gives two segments with the same label; the phrase ends the wrong one.
 */
export function sectionSegments(ref: TextRef): Segment[] {
  const headers = findHeaders(ref.text);
  return headers.map((header, index) => {
    const regionEnd = headers[index + 1]?.start ?? ref.text.length;
    const lineBreak = /^[ \t]*(?:\r?\n)?/.exec(ref.text.slice(header.end, regionEnd))?.[0] ?? '';
    const start = header.end + lineBreak.length;
    const end = start + ref.text.slice(start, regionEnd).trimEnd().length;
    return sliceSegment(ref, header.step === null ? 'section' : 'step', header.label, start, end);
  });
}
