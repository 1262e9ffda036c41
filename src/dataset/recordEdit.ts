import { applyEdits, modify } from 'jsonc-parser';
import { ANNOTATION_KEY, type Annotations, annotationsSchema, emptyAnnotations } from './annotations';
import { describeJson, isJsonObject, type Json, type JsonObject, type JsonPath, type Segment } from './record';

/** A record that cannot be read or changed as asked; the message names the field. */
export class RecordError extends Error {}

export function readRecord(lineText: string): JsonObject {
  let value: Json;
  try {
    value = JSON.parse(lineText) as Json;
  } catch (error) {
    throw new RecordError(`not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isJsonObject(value)) throw new RecordError(`a record must be a JSON object, found ${describeJson(value)}`);
  return value;
}

export function formatPath(path: JsonPath): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}

function valueAt(record: JsonObject, path: JsonPath): Json | undefined {
  let value: Json | undefined = record;
  for (const part of path) {
    if (typeof part === 'number') value = Array.isArray(value) ? value[part] : undefined;
    else value = isJsonObject(value) ? value[part] : undefined;
  }
  return value;
}

/**
 * Sets one value and leaves every other byte of the line alone: key order, spacing, number spellings
 * (`1e300`, `1.50`) and escapes elsewhere stay as written.
 */
export function setValue(lineText: string, path: JsonPath, value: Json): string {
  return applyEdits(lineText, modify(lineText, path, value, {}));
}

/** Replaces a segment's text inside the string that holds it. */
export function replaceSegmentText(lineText: string, segment: Segment, text: string): string {
  const record = readRecord(lineText);
  const holder = valueAt(record, segment.path);
  if (typeof holder !== 'string') throw new RecordError(`${formatPath(segment.path)} is not a string`);
  const [start, end] = segment.span;
  if (holder.slice(start, end) !== segment.text) throw new RecordError(`${formatPath(segment.path)} no longer holds the segment ${segment.label}`);
  return setValue(lineText, segment.path, holder.slice(0, start) + text + holder.slice(end));
}

/** Replaces everything from a segment's first character to the end of the string that holds it. */
export function replaceTextFrom(lineText: string, segment: Segment, text: string): string {
  const holder = valueAt(readRecord(lineText), segment.path);
  if (typeof holder !== 'string') throw new RecordError(`${formatPath(segment.path)} is not a string`);
  return replaceSegmentText(lineText, { ...segment, span: [segment.span[0], holder.length], text: holder.slice(segment.span[0]) }, text);
}

/** The record's annotations; a record without them has empty ones. A malformed block is an error, never dropped. */
export function readAnnotations(record: JsonObject): Annotations {
  const raw = record[ANNOTATION_KEY];
  if (raw === undefined) return emptyAnnotations();
  const parsed = annotationsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RecordError(`${ANNOTATION_KEY}${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${issue.message}`);
  }
  return parsed.data;
}

export function writeAnnotations(lineText: string, annotations: Annotations): string {
  return setValue(lineText, [ANNOTATION_KEY], annotations as unknown as Json);
}
