import { applyEdits, findNodeAtLocation, modify, type Node, parseTree } from 'jsonc-parser';
import { ANNOTATION_KEY, type Annotations, parseAnnotations } from './annotations';
import { notAnObject, notJson } from './notRecord';
import { isJsonObject, type Json, type JsonObject, type JsonPath, type ParsedRecord, type Segment } from './record';
import { inCurrentIndices } from './segmentIndices';
import { escapeForLiteral, rawOffset } from './stringLiteral';
import { errorMessage } from '../errors/message';

/** A record that cannot be read or changed as asked; the message names the field, `at` the place in the line when known. */
export class RecordError extends Error {
  constructor(
    message: string,
    readonly at?: [number, number],
  ) {
    super(message);
  }
}

export function readRecord(lineText: string): JsonObject {
  let value: Json;
  try {
    value = JSON.parse(lineText) as Json;
  } catch (error) {
    const { problem, at } = notJson(lineText, errorMessage(error));
    throw new RecordError(problem, at);
  }
  if (!isJsonObject(value)) throw new RecordError(notAnObject(value));
  return value;
}

export function formatPath(path: JsonPath): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}

/**
 * Sets one value and leaves every other byte of the line alone: key order, spacing, number spellings
 * (`1e300`, `1.50`) and escapes elsewhere stay as written.
 */
export function setValue(lineText: string, path: JsonPath, value: Json | undefined): string {
  return applyEdits(lineText, modify(lineText, path, value, {}));
}

/** Whether two values are the same JSON, key order included (as the line spells them, after parsing). */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Writes `after` where the line holds `before` (the value at `path`), touching only what differs: objects
 * are updated key by key and an array that only grew gets its new items appended, so unchanged parts keep
 * their order and spelling. Anything else that changed is written whole.
 */
function updateValue(lineText: string, path: JsonPath, before: Json | undefined, after: Json | undefined): string {
  if (sameJson(before, after)) return lineText;
  if (isJsonObject(before) && isJsonObject(after)) {
    let text = lineText;
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) text = updateValue(text, [...path, key], before[key], after[key]);
    return text;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length < after.length && before.every((item, index) => sameJson(item, after[index]))) {
    return after
      .slice(before.length)
      .reduce<string>((text, item, index) => applyEdits(text, modify(text, [...path, before.length + index], item, { isArrayInsertion: true })), lineText);
  }
  return setValue(lineText, path, after);
}

interface StringLiteral {
  /** Where the literal starts in the line and how long it is, quotes included. */
  offset: number;
  length: number;
  /** What it decodes to. */
  value: string;
}

function nodeAt(lineText: string, path: JsonPath): Node | undefined {
  const root = parseTree(lineText);
  return root && findNodeAtLocation(root, path);
}

function stringLiteralAt(lineText: string, path: JsonPath): StringLiteral {
  const node = nodeAt(lineText, path);
  if (node?.type !== 'string' || typeof node.value !== 'string') throw new RecordError(`${formatPath(path)} is not a string`);
  return { offset: node.offset, length: node.length, value: node.value };
}

/** Exchanges two sibling values as the line spells them: their escapes, spacing and number spellings move with them. */
export function swapValues(lineText: string, a: JsonPath, b: JsonPath): string {
  const [first, second] = [a, b]
    .map((path) => {
      const node = nodeAt(lineText, path);
      if (!node) throw new RecordError(`the record has no ${formatPath(path)}`);
      return node;
    })
    .sort((x, y) => x.offset - y.offset);
  const spelled = (node: Node) => lineText.slice(node.offset, node.offset + node.length);
  return (
    lineText.slice(0, first.offset) +
    spelled(second) +
    lineText.slice(first.offset + first.length, second.offset) +
    spelled(first) +
    lineText.slice(second.offset + second.length)
  );
}

/**
 * Replaces a segment's text inside the string that holds it. Only the literal's characters of the segment
 * are rewritten: escapes elsewhere in the same string (`\u00b2`, `\/`) stay as they were spelled.
 */
export function replaceSegmentText(lineText: string, segment: Segment, text: string): string {
  const literal = stringLiteralAt(lineText, segment.path);
  const [start, end] = segment.span;
  if (literal.value.slice(start, end) !== segment.text) throw new RecordError(`${formatPath(segment.path)} no longer holds the segment ${segment.label}`);
  const body = lineText.slice(literal.offset + 1, literal.offset + literal.length - 1);
  const rawStart = literal.offset + 1 + rawOffset(body, start);
  const rawEnd = literal.offset + 1 + rawOffset(body, end);
  return lineText.slice(0, rawStart) + escapeForLiteral(text) + lineText.slice(rawEnd);
}

/** A segment widened to the end of the string that holds it: everything from its first character on. */
export function throughEndOfString(lineText: string, segment: Segment): Segment {
  const holder = stringLiteralAt(lineText, segment.path).value;
  return { ...segment, span: [segment.span[0], holder.length], text: holder.slice(segment.span[0]) };
}

/**
 * The record's annotations; a record without them has empty ones. A malformed block is an error, never dropped.
 * Given the parsed record, segment indices are those of its segments, even in a block written by an earlier version.
 */
export function readAnnotations(record: JsonObject, parsed?: ParsedRecord): Annotations {
  const read = parseAnnotations(record[ANNOTATION_KEY]);
  if ('problem' in read) throw new RecordError(`${formatPath([ANNOTATION_KEY, ...read.path])}: ${read.problem}`);
  return parsed ? inCurrentIndices(read.annotations, record, parsed) : read.annotations;
}

/**
 * Makes the record's own fields those of `content`, keeping its annotation block; fields whose value is unchanged
 * keep their bytes.
 */
export function replaceRecordContent(lineText: string, content: JsonObject): string {
  const { [ANNOTATION_KEY]: _, ...before } = readRecord(lineText);
  const { [ANNOTATION_KEY]: __, ...after } = content;
  return Object.keys({ ...before, ...after }).reduce((text, key) => updateValue(text, [key], before[key], after[key]), lineText);
}

/** Writes a record's annotations, changing only the parts of its block that differ (keys it does not know stay). */
export function writeAnnotations(lineText: string, annotations: Annotations): string {
  return updateValue(lineText, [ANNOTATION_KEY], readRecord(lineText)[ANNOTATION_KEY], annotations as unknown as Json);
}
