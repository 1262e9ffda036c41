import * as path from 'node:path';
import { DEFAULT_REFLECTION_PHRASE } from '../annotations';
import { detectFormat, parseRecord, unknownFormatReason } from '../formats';
import type { FormatId, JsonObject, ParsedRecord } from '../record';
import { ImageResolver } from '../images';
import { formatPath, readRecord, RecordError } from '../recordEdit';
import type { InvalidUtf8 } from '../utf8';
import { annotationFindings } from './annotations';
import { duplicateKeyFindings } from './duplicateKeys';
import { emptyAnswerFindings } from './emptyAnswer';
import { encodingFindings } from './encoding';
import { imageMissingFindings, imageTokenFindings } from './images';
import { LineTree } from './lineTree';
import { linkedTextFindings } from './linkedText';
import { numberOverflowFindings } from './numberOverflow';
import { recordShape } from './recordShape';
import { grammarFindings } from './responses';
import { rewardFindings } from './rewards';
import { turnFindings } from './turns';
import type { CheckResult, Finding } from './result';

export { type CheckId, checkIdSchema, type CheckResult, checkResultSchema, type Severity, severitySchema } from './result';

export interface CheckContext {
  /** Why an image path of the record (as written, relative to the dataset) names no file it may use, or null when it does. */
  imageProblem(path: string): string | null;
  /** A format the user forced for the file; detected per record when absent. */
  format?: FormatId;
  /** The reflection phrase a repeated Mulberry step may follow (the `cotStudio.reflectionPhrase` setting). */
  reflectionPhrase?: string;
  /** False when only the counts matter (stats): results then carry no range, and most lines are never parsed for one. */
  ranges?: boolean;
}

/** The context of a dataset file on disk: its images looked up from its folder, then the image roots. */
export function fileCheckContext(file: string, imageRoots: readonly string[], format?: FormatId): CheckContext {
  const images = new ImageResolver(path.dirname(path.resolve(file)), imageRoots);
  return { imageProblem: (image) => images.problem(image), format };
}

const BOM = '\uFEFF';

function place(finding: Finding, tree: LineTree, ranges = true): CheckResult {
  const { check, severity, field, problem } = finding;
  const range = ranges && (finding.at ?? (field && tree.range(field)));
  const message = field ? `${formatPath(field)}: ${problem}` : problem;
  return range ? { check, severity, message, range } : { check, severity, message };
}

/** Every check of a parsed record; ranges are offsets in `lineText`, the raw line `record` was parsed from. */
export function checkRecord(lineText: string, record: JsonObject, parsed: ParsedRecord, context: CheckContext, tree = new LineTree(lineText)): CheckResult[] {
  const findings = [
    ...grammarFindings(record, parsed, context.reflectionPhrase ?? DEFAULT_REFLECTION_PHRASE),
    ...imageTokenFindings(record, parsed, tree),
    ...imageMissingFindings(parsed, tree, (path) => context.imageProblem(path)),
    ...emptyAnswerFindings(record, parsed),
    ...rewardFindings(record, parsed),
    ...annotationFindings(record),
    ...turnFindings(record, parsed),
    ...linkedTextFindings(record, parsed),
  ];
  return findings.map((finding) => place(finding, tree, context.ranges));
}

/** A line's checks, with the record as parsed (null when the line is blank or not an object) for callers that need more of it. */
export interface LineCheck {
  record: JsonObject | null;
  parsed: ParsedRecord | null;
  results: CheckResult[];
}

/**
 * Reads and checks one line. A blank line is no record (the dataset skips it) and has nothing to report.
 * `invalidUtf8` is where the line's bytes stop being UTF-8, which only its bytes tell: the text shows U+FFFD.
 */
export function checkLine(lineText: string, context: CheckContext, invalidUtf8?: InvalidUtf8): LineCheck {
  const text = lineText.startsWith(BOM) ? lineText.slice(BOM.length) : lineText;
  if (text.trim() === '') return { record: null, parsed: null, results: [] };
  const tree = new LineTree(lineText);
  const placed = (findings: Finding[]) => findings.map((finding) => place(finding, tree, context.ranges));
  const encoding = placed(encodingFindings(invalidUtf8, tree));
  let record: JsonObject;
  try {
    record = readRecord(text);
  } catch (error) {
    if (!(error instanceof RecordError)) throw error;
    const unparseable: Finding = { check: 'unparseable', severity: 'error', field: null, problem: error.message };
    // The error's place is in the text without the byte order mark; the line's ranges count it.
    const shift = lineText.length - text.length;
    if (error.at) unparseable.at = [error.at[0] + shift, error.at[1] + shift];
    return { record: null, parsed: null, results: [...encoding, ...placed([unparseable])] };
  }
  // What JSON.parse hides: a key given twice, a number it reads as Infinity. Checked whatever the format.
  const shape = recordShape(record);
  const json = [...encoding, ...placed([...duplicateKeyFindings(text, shape, tree), ...numberOverflowFindings(record, shape, tree)])];
  // The annotation block is read apart from the format, so a record of no known format still has it checked.
  const unknownFormat = (message: string): LineCheck => ({
    record,
    parsed: null,
    results: [...json, { check: 'unknown-format', severity: 'error', message }, ...placed(annotationFindings(record))],
  });
  const format = context.format ?? detectFormat(record);
  if (format === null) return unknownFormat(unknownFormatReason(record));
  const parsed = parseRecord(record, format);
  if ('error' in parsed) return unknownFormat(parsed.error);
  return { record, parsed, results: [...json, ...checkRecord(lineText, record, parsed, context, tree)] };
}
