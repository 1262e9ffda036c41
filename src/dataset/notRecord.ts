import { type ParseError, parse } from 'jsonc-parser';
import { describeJson, isJsonObject, type Json } from './record';

/** Why a line is no record, and where: [start, end) in the line text when a place can be named. */
export interface NotJson {
  problem: string;
  at?: [number, number];
}

/**
 * How many records a line holds when its file ends lines with CR alone (classic Mac OS): the file then reads
 * as one line of records. 0 when the line is not that: no CR inside, or the text before the first CR is not JSON.
 */
function crSeparatedRecords(lineText: string): number {
  if (!lineText.includes('\r')) return 0;
  const pieces = lineText.split('\r').filter((piece) => piece.trim() !== '');
  if (pieces.length < 2) return 0;
  try {
    JSON.parse(pieces[0]);
  } catch {
    return 0;
  }
  return pieces.length;
}

/** Where strict JSON first fails, as jsonc-parser finds it (the built-in parser's message says it differently per Node version). */
function firstSyntaxError(lineText: string): ParseError | undefined {
  const errors: ParseError[] = [];
  parse(lineText, errors, { allowTrailingComma: false, disallowComments: true });
  return errors[0];
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The values Python's `json.dumps` writes by default that JSON has not (`allow_nan=True`). */
const NON_FINITE = /^-?Infinity|^NaN/;

/** The common mistake where strict JSON first fails, or null when it is none of them. */
function commonCause(lineText: string, error: ParseError): NotJson | null {
  const column = (at: number) => `column ${at + 1}`;
  const { offset } = error;
  const rest = lineText.slice(offset);
  const before = lineText.slice(0, offset).trimEnd();
  if ((rest.startsWith('}') || rest.startsWith(']')) && before.endsWith(',')) {
    const comma = before.length - 1;
    return { problem: `a trailing comma at ${column(comma)}: JSON allows no comma before ${rest[0]}`, at: [comma, comma + 1] };
  }
  if (rest.startsWith("'")) return { problem: `a single quote at ${column(offset)}: JSON strings and keys take double quotes`, at: [offset, offset + 1] };
  const nonFinite = NON_FINITE.exec(rest);
  if (nonFinite) {
    const value = nonFinite[0];
    return {
      problem: `${value} at ${column(offset)}: JSON has no NaN or Infinity (Python's json.dumps writes them unless allow_nan=False); write null or a string`,
      at: [offset, offset + value.length],
    };
  }
  const end = lineText.trimEnd().length;
  if (lineText.trimStart().startsWith('{') && offset + error.length >= end) {
    return {
      problem: `the line ends at ${column(end - 1)} inside the record: a cut-off line, or a record spread over several lines (JSON Lines holds each record on one line)`,
      at: [end - 1, end],
    };
  }
  if (parses(before)) return { problem: `text after the record at ${column(offset)}: JSON Lines holds one record per line`, at: [offset, lineText.length] };
  return null;
}

/**
 * Why `JSON.parse` refused a line, naming the likely cause and its column when it is a common one (CR-only line
 * ends, a trailing comma, single quotes, NaN or Infinity, a cut-off line, two records on one line); otherwise
 * the parser's own message, placed where strict JSON first fails.
 */
export function notJson(lineText: string, parserMessage: string): NotJson {
  const records = crSeparatedRecords(lineText);
  if (records > 0) {
    return {
      problem: `the line holds ${records} records separated by carriage returns (CR) only; CoT Studio reads LF or CRLF line endings: convert the file with \`tr '\\r' '\\n' < FILE > FILE.lf\``,
    };
  }
  const error = firstSyntaxError(lineText);
  const cause = error && commonCause(lineText, error);
  if (cause) return { problem: `not valid JSON: ${cause.problem}`, at: cause.at };
  const at: [number, number] | undefined = error && [error.offset, Math.min(error.offset + Math.max(error.length, 1), lineText.length)];
  return { problem: `not valid JSON: ${parserMessage}`, at };
}

/**
 * Why a JSON value is no record. Two common causes are named: a whole JSON file's list of records on one line,
 * and a record encoded twice (a string holding its JSON).
 */
export function notAnObject(value: Json): string {
  const found = `a record must be a JSON object, found ${describeJson(value)}`;
  if (Array.isArray(value) && value.length > 0 && value.every((item) => isJsonObject(item))) {
    return `${found} of ${value.length} object${value.length === 1 ? '' : 's'}: JSON Lines holds one record per line, not a list of them`;
  }
  if (typeof value === 'string' && value.trimStart().startsWith('{') && parses(value)) {
    return `${found} that holds a JSON object: the record was encoded twice (decode the string once more)`;
  }
  return found;
}
