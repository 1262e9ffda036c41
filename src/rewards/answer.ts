import { z } from 'zod';
import { allMatches } from '../dataset/formats/matches';
import { normalizeAnswer, sameAnswer } from './normalize';

/** Where an answer was found: the innermost marker that delimited it, `none` for the whole text. */
export const answerMarkerSchema = z.enum(['answer-tag', 'conclusion', 'final-answer-section', 'last-section', 'boxed', 'answer-phrase', 'none']);
export type AnswerMarker = z.infer<typeof answerMarkerSchema>;

export const extractedAnswerSchema = z.object({
  /** The answer as written, trimmed. */
  text: z.string(),
  marker: answerMarkerSchema,
});
export type ExtractedAnswer = z.infer<typeof extractedAnswerSchema>;

const ANSWER_OPEN = /<answer>/gi;
const ANSWER_CLOSE = /<\/answer>/i;
const CONCLUSION_OPEN = /<CONCLUSION>/gi;
const CONCLUSION_CLOSE = /<\/CONCLUSION>/i;
const FINAL_ANSWER_HEADER = /^[ \t]*### The final answer is:/gim;
const SECTION_HEADER = /^[ \t]*###[^\n]*/gm;
const BOXED = /\\(?:boxed|fbox)\s*\{/g;
/** `The answer is`, `The final answer is:`, `Final answer:`, `Answer:`. */
const ANSWER_PHRASE = /\bthe\s+(?:final\s+|correct\s+)?answer\s+is\b\s*:?|\b(?:final\s+)?answer\s*:/gi;

interface Region {
  body: string;
  marker: AnswerMarker;
  /** A `###` section's answer is its first line, as R1-VL reads `### The final answer is:` (methods.md §4). */
  firstLine: boolean;
}

/** The text inside the last opening tag, up to its closing tag or the end (an unfinished response still answers). */
function lastTagBody(text: string, open: RegExp, close: RegExp): string | null {
  const last = allMatches(text, open).at(-1);
  if (!last) return null;
  const body = text.slice(last.index + last[0].length);
  const end = body.search(close);
  return end >= 0 ? body.slice(0, end) : body;
}

/** The part of a response that holds its answer: `<answer>`, then `<CONCLUSION>`, then the final `###` section. */
function answerRegion(text: string): Region {
  const answer = lastTagBody(text, ANSWER_OPEN, ANSWER_CLOSE);
  if (answer !== null) return { body: answer, marker: 'answer-tag', firstLine: false };
  const conclusion = lastTagBody(text, CONCLUSION_OPEN, CONCLUSION_CLOSE);
  if (conclusion !== null) return { body: conclusion, marker: 'conclusion', firstLine: false };
  const final = allMatches(text, FINAL_ANSWER_HEADER).at(-1);
  if (final) return { body: text.slice(final.index + final[0].length), marker: 'final-answer-section', firstLine: true };
  const section = allMatches(text, SECTION_HEADER).at(-1);
  if (section) {
    // A header may carry its answer on its own line: `### Answer: 12`.
    const colon = section[0].indexOf(':');
    const inline = colon >= 0 ? section[0].slice(colon + 1) : '';
    return { body: `${inline}\n${text.slice(section.index + section[0].length)}`, marker: 'last-section', firstLine: true };
  }
  return { body: text, marker: 'none', firstLine: false };
}

const firstNonBlankLine = (text: string): string => text.split('\n').find((line) => line.trim() !== '') ?? '';

/** The contents of the last `\boxed{...}`, braces balanced (`\boxed{\frac{1}{2}}`); unclosed runs to the end. */
function lastBoxed(text: string): string | null {
  const last = allMatches(text, BOXED).at(-1);
  if (!last) return null;
  const start = last.index + last[0].length;
  let depth = 1;
  for (let index = start; index < text.length; index++) {
    if (text[index] === '{') depth++;
    else if (text[index] === '}' && --depth === 0) return text.slice(start, index);
  }
  return text.slice(start);
}

/** The line after the last answer phrase (or the next non-blank line when the phrase ends its line). */
function lastAnswerPhrase(text: string): string | null {
  const last = allMatches(text, ANSWER_PHRASE).at(-1);
  if (!last) return null;
  const line = firstNonBlankLine(text.slice(last.index + last[0].length)).trim();
  return line === '' ? null : line;
}

/**
 * Where the line holding a text's last answer phrase or `\boxed{}` starts, or null when it has neither: the
 * final answer of a response without markup, as `extractAnswer` reads one.
 */
export function finalAnswerLineStart(text: string): number | null {
  const phrase = allMatches(text, ANSWER_PHRASE).at(-1)?.index ?? -1;
  const boxed = allMatches(text, BOXED).at(-1)?.index ?? -1;
  const last = Math.max(phrase, boxed);
  return last < 0 ? null : text.lastIndexOf('\n', last) + 1;
}

/**
 * A response's final answer. The region comes first: the last `<answer>` (Reason-RFT, OpenVLThinker), else the
 * last `<CONCLUSION>` (LLaVA-CoT), else the last `### The final answer is:` section (Mulberry, R1-VL), else the
 * last `###` section, else the whole text. Inside it, the last `\boxed{}` wins, then the last `Final answer:` /
 * `The answer is` phrase (MPO extracts these, methods.md §2), else the region itself.
 */
export function extractAnswer(text: string): ExtractedAnswer {
  const region = answerRegion(text);
  const boxed = lastBoxed(region.body);
  if (boxed !== null) return { text: boxed.trim(), marker: 'boxed' };
  const phrase = lastAnswerPhrase(region.body);
  if (phrase !== null) return { text: phrase, marker: 'answer-phrase' };
  return { text: (region.firstLine ? firstNonBlankLine(region.body) : region.body).trim(), marker: region.marker };
}

/**
 * Whether a response's final answer agrees with a ground truth, both extracted by `extractAnswer` and read by
 * MPO's rules (methods.md §2): option letters, numbers within 0.1% (integers exactly) after units, number words,
 * separators, fractions and percentages are read, text case-insensitively without articles and punctuation.
 */
export function answersMatch(output: string, groundTruth: string): boolean {
  return sameAnswer(normalizeAnswer(extractAnswer(output).text), normalizeAnswer(extractAnswer(groundTruth).text));
}
