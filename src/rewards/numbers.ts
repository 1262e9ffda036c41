/**
 * Reading an answer as a number the way MPO's answer check does (methods.md §2): units stripped, number words
 * turned into digits, thousands separators, decimals, fractions and percentages read. The text is expected
 * to have been through `plainAnswerText` already.
 */

/** A number read from an answer; a percentage also stands for its fraction (`50%` matches `50` and `0.5`). */
export interface NumericAnswer {
  value: number;
  percent: boolean;
}

/** MPO's math match: 0.1% relative error (methods.md §2). */
const RELATIVE_TOLERANCE = 1e-3;

const DIGITS = String.raw`\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:e[+-]?\d+)?|\.\d+`;
/** Sign, currency, the number, an optional `/denominator`. */
const NUMERAL = new RegExp(String.raw`^([+-]?)\s*[€£¥₹]?\s*([+-]?)(${DIGITS})(?:\s*/\s*(${DIGITS}))?`, 'i');
const MIXED_FRACTION = /^([+-]?)(\d+)\s+(\d+)\s*\/\s*(\d+)/;
const APPROXIMATELY = /^(?:≈|about\b|approximately\b|approx\.|around\b)\s*/i;
const PERCENT = /^(?:%|per\s?cent\b)\s*/i;
/** One word of a unit: `cm`, `cm^2`, `cm2` (NFKC turns `²` into `2`), `°`, `km/h`, `sq.`, `dollars`. */
const UNIT_WORD = /^[\p{L}°.'’/]+(?:\^?\{?\d\}?)?$/u;
/** More words than this after a number make a phrase, not a unit. */
const MAX_UNIT_WORDS = 3;

const SMALL_WORDS = new Map(
  [
    'zero',
    'one',
    'two',
    'three',
    'four',
    'five',
    'six',
    'seven',
    'eight',
    'nine',
    'ten',
    'eleven',
    'twelve',
    'thirteen',
    'fourteen',
    'fifteen',
    'sixteen',
    'seventeen',
    'eighteen',
    'nineteen',
  ].map((word, value) => [word, value]),
);
const TENS_WORDS = new Map(['twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'].map((word, index) => [word, (index + 2) * 10]));
const SCALE_WORDS = new Map([
  ['thousand', 1e3],
  ['million', 1e6],
  ['billion', 1e9],
]);

const isNumberWord = (word: string | undefined): boolean =>
  word !== undefined && (SMALL_WORDS.has(word) || TENS_WORDS.has(word) || word === 'hundred' || SCALE_WORDS.has(word));

function isUnit(rest: string): boolean {
  const words = rest.split(/\s+/).filter((word) => word !== '');
  return words.length <= MAX_UNIT_WORDS && words.every((word) => UNIT_WORD.test(word));
}

const toNumber = (digits: string): number => Number(digits.replace(/,/g, ''));

/** A numeral at the start of `text` and what follows it, or null. */
function readNumeral(text: string): { value: number; rest: string } | null {
  const mixed = MIXED_FRACTION.exec(text);
  if (mixed) {
    const [whole, sign, units, numerator, denominator] = mixed;
    const value = Number(units) + Number(numerator) / Number(denominator);
    return Number(denominator) === 0 ? null : { value: sign === '-' ? -value : value, rest: text.slice(whole.length) };
  }
  const numeral = NUMERAL.exec(text);
  if (!numeral) return null;
  const [whole, sign, innerSign, digits, denominator] = numeral;
  const magnitude = denominator === undefined ? toNumber(digits) : toNumber(digits) / toNumber(denominator);
  if (!Number.isFinite(magnitude)) return null;
  const negative = (sign === '-') !== (innerSign === '-');
  return { value: negative ? -magnitude : magnitude, rest: text.slice(whole.length) };
}

/** Number words at the start of `text` (`twelve`, `twenty-one`, `one hundred and five`) and what follows. */
function readNumberWords(text: string): { value: number; rest: string } | null {
  const words = text
    .toLowerCase()
    .split(/[\s-]+/)
    .filter((word) => word !== '');
  let total = 0;
  let current = 0;
  let used = 0;
  for (; used < words.length; used++) {
    const word = words[used];
    const small = SMALL_WORDS.get(word) ?? TENS_WORDS.get(word);
    const scale = SCALE_WORDS.get(word);
    if (small !== undefined) current += small;
    else if (used === 0) break;
    else if (word === 'hundred') current *= 100;
    else if (scale !== undefined) {
      total += current * scale;
      current = 0;
    } else if (word !== 'and' || !isNumberWord(words[used + 1])) break;
  }
  return used === 0 ? null : { value: total + current, rest: words.slice(used).join(' ') };
}

/**
 * The number an answer states, or null when it is not one. `x = 10` reads its right side; a unit of at most
 * three words may follow (`12 cm`, `45°`, `3 red circles`), anything holding another number may not.
 */
export function parseNumber(plain: string): NumericAnswer | null {
  const equation = plain.lastIndexOf('=');
  const text = (equation >= 0 ? plain.slice(equation + 1) : plain).trim().replace(APPROXIMATELY, '');
  const read = readNumeral(text) ?? readNumberWords(text);
  if (!read) return null;
  const rest = read.rest.trim();
  const percent = PERCENT.exec(rest);
  const unit = percent ? rest.slice(percent[0].length) : rest;
  return isUnit(unit) ? { value: read.value, percent: percent !== null } : null;
}

function candidates(answer: NumericAnswer): number[] {
  return answer.percent ? [answer.value, answer.value / 100] : [answer.value];
}

/** The values two answers may mean, paired: a percentage is tried as written and as a fraction. */
export function numberPairs(a: NumericAnswer, b: NumericAnswer): [number, number][] {
  return candidates(a).flatMap((x) => candidates(b).map((y): [number, number] => [x, y]));
}

/**
 * Equal within MPO's 0.1% math match (methods.md §2), except that two integers must be equal: counts and years
 * are not roundings, and 0.1% of 2022 would accept 2021.
 */
export function numbersMatch(a: NumericAnswer, b: NumericAnswer): boolean {
  return numberPairs(a, b).some(([x, y]) =>
    Number.isInteger(x) && Number.isInteger(y) ? x === y : Math.abs(x - y) <= RELATIVE_TOLERANCE * Math.max(Math.abs(x), Math.abs(y)),
  );
}
