import * as path from 'node:path';
import { DEFAULT_REFLECTION_PHRASE } from '../annotations';
import { detectFormat, parseRecord, unknownFormatReason } from '../formats';
import { describeJson, type FormatId, isJsonObject, type Json, type JsonObject, type ParsedRecord } from '../record';
import { ImageResolver } from '../images';
import { formatPath } from '../recordEdit';
import { annotationFindings } from './annotations';
import { emptyAnswerFindings } from './emptyAnswer';
import { imageMissingFindings, imageTokenFindings } from './images';
import { LineTree } from './lineTree';
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
  const range = ranges && field && tree.range(field);
  const message = field ? `${formatPath(field)}: ${problem}` : problem;
  return range ? { check, severity, message, range } : { check, severity, message };
}

/** Every check of a parsed record; ranges are offsets in `lineText`, the raw line `record` was parsed from. */
export function checkRecord(lineText: string, record: JsonObject, parsed: ParsedRecord, context: CheckContext): CheckResult[] {
  const tree = new LineTree(lineText);
  const findings = [
    ...grammarFindings(record, parsed, context.reflectionPhrase ?? DEFAULT_REFLECTION_PHRASE),
    ...imageTokenFindings(record, parsed, tree),
    ...imageMissingFindings(parsed, tree, (path) => context.imageProblem(path)),
    ...emptyAnswerFindings(record, parsed),
    ...rewardFindings(record, parsed),
    ...annotationFindings(record),
    ...turnFindings(record),
  ];
  return findings.map((finding) => place(finding, tree, context.ranges));
}

/** A line's checks, with the record as parsed (null when the line is blank or not an object) for callers that need more of it. */
export interface LineCheck {
  record: JsonObject | null;
  parsed: ParsedRecord | null;
  results: CheckResult[];
}

/** Reads and checks one line. A blank line is no record (the dataset skips it) and has nothing to report. */
export function checkLine(lineText: string, context: CheckContext): LineCheck {
  const text = lineText.startsWith(BOM) ? lineText.slice(BOM.length) : lineText;
  if (text.trim() === '') return { record: null, parsed: null, results: [] };
  const unparseable = (message: string): LineCheck => ({ record: null, parsed: null, results: [{ check: 'unparseable', severity: 'error', message }] });
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (error) {
    return unparseable(`not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isJsonObject(value)) return unparseable(`a record must be a JSON object, found ${describeJson(value)}`);
  const record = value;
  // The annotation block is read apart from the format, so a record of no known format still has it checked.
  const unknownFormat = (message: string): LineCheck => ({
    record,
    parsed: null,
    results: [{ check: 'unknown-format', severity: 'error', message }, ...annotationFindings(record).map((finding) => place(finding, new LineTree(lineText), context.ranges))],
  });
  const format = context.format ?? detectFormat(record);
  if (format === null) return unknownFormat(unknownFormatReason(record));
  const parsed = parseRecord(record, format);
  if ('error' in parsed) return unknownFormat(parsed.error);
  return { record, parsed, results: checkRecord(lineText, record, parsed, context) };
}
