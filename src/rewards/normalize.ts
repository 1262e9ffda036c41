import { type NumericAnswer, numbersMatch, parseNumber } from './numbers';
import { plainAnswerText } from './plainText';

/** A final answer read for comparison: an option letter (with any text after it), a number, or normalised text. */
export type Answer = { kind: 'choice'; letter: string; rest: string } | { kind: 'number'; number: NumericAnswer } | { kind: 'text'; text: string };

/** Bold, quotes and a closing full stop around an answer (`**B**.`, `"10"`). */
const DECORATION = /^[\s*_"'`“”‘’]+|[\s*_"'`“”‘’.。!！]+$/gu;
/** `Answer:`, `The answer is`, `option`, `Choice:` before a letter. */
const CHOICE_LEAD = /^(?:the\s+)?(?:correct\s+|final\s+)?(?:answer|option|choice)\s*(?:is\b)?\s*[:：]?\s*/i;
const PARENTHESISED = /^\(([A-J])\)\s*[.:：]?\s*([\s\S]*)$/i;
const LETTER_ALONE = /^([A-J])[.):：]?$/i;
/** `B. 10`, `A: 8`; lower case only after a lead, so that `a. ` in prose is not an option. */
const LETTER_WITH_TEXT = /^([A-J])[.):：]\s*([\s\S]*)$/;
const LETTER_WITH_TEXT_ANY_CASE = new RegExp(LETTER_WITH_TEXT.source, 'i');
const ARTICLES = new Set(['a', 'an', 'the']);

function readChoice(plain: string): Answer | null {
  const lead = CHOICE_LEAD.exec(plain);
  const text = lead ? plain.slice(lead[0].length) : plain;
  const match = PARENTHESISED.exec(text) ?? LETTER_ALONE.exec(text) ?? (lead ? LETTER_WITH_TEXT_ANY_CASE : LETTER_WITH_TEXT).exec(text);
  return match ? { kind: 'choice', letter: match[1].toUpperCase(), rest: (match[2] ?? '').trim() } : null;
}

/** MPO's text comparison (methods.md §2): case-insensitive, articles and punctuation dropped. */
function normalizeText(plain: string): string {
  return plain
    .toLowerCase()
    .replace(/\p{P}+/gu, ' ')
    .split(/\s+/)
    .filter((word) => word !== '' && !ARTICLES.has(word))
    .join(' ');
}

function readValue(plain: string): Answer {
  const number = parseNumber(plain);
  return number ? { kind: 'number', number } : { kind: 'text', text: normalizeText(plain) };
}

/** Reads an extracted answer: option letters as MPO normalises them (`A.`, `(A)`, `**A**`, `Answer: a`, `option A`), else a number, else text. */
export function normalizeAnswer(text: string): Answer {
  const plain = plainAnswerText(text).replace(DECORATION, '');
  return readChoice(plain) ?? readValue(plain);
}

/**
 * An answer as one string, for MPO's guard against pairs whose rejected answer contains the chosen one
 * (methods.md §2): an option's letter, a number's value (`1,000 cm` reads `1000`), else the normalised text.
 */
export function answerKey(answer: Answer): string {
  switch (answer.kind) {
    case 'choice':
      return answer.letter;
    case 'number':
      return `${answer.number.value}${answer.number.percent ? '%' : ''}`;
    case 'text':
      return answer.text;
  }
}

/** The value an answer states: an option's text after its letter counts too (`B: 10` states 10). */
function statedValue(answer: Answer): Answer | null {
  if (answer.kind !== 'choice') return answer;
  return answer.rest === '' ? null : readValue(answer.rest.replace(DECORATION, ''));
}

/**
 * Two options agree by letter alone; otherwise their values are compared: numbers by `numbersMatch`, text
 * after normalisation. An empty answer matches nothing.
 */
export function sameAnswer(predicted: Answer, truth: Answer): boolean {
  if (predicted.kind === 'choice' && truth.kind === 'choice') return predicted.letter === truth.letter;
  const a = statedValue(predicted);
  const b = statedValue(truth);
  if (a?.kind === 'number' && b?.kind === 'number') return numbersMatch(a.number, b.number);
  return a?.kind === 'text' && b?.kind === 'text' && a.text !== '' && a.text === b.text;
}
