import { describeJson, isJsonObject, type Json, type JsonObject, type JsonPath } from '../record';
import { formatPath, RecordError } from '../recordEdit';
import { flatMapped } from '../flatMapped';

/** The record keys that name images; their paths are listed in this order. */
export const IMAGE_KEYS = ['image_path', 'image', 'images'] as const;

/** Keys that hold a record's own reference answer, most common first. */
const GROUND_TRUTH_KEYS = ['solution', 'answer', 'answer_gt', 'ground_truth'] as const;

/** The string at `key` of `record`, an object that sits at `at` in the line (the record itself unless given). */
export function requireString(record: JsonObject, key: string, at: JsonPath = []): string {
  const value = record[key];
  if (typeof value === 'string') return value;
  const field = formatPath([...at, key]);
  throw new RecordError(value === undefined ? `${field}: missing` : `${field}: expected a string, found ${describeJson(value)}`);
}

export function requireObject(value: Json | undefined, path: JsonPath): JsonObject {
  if (isJsonObject(value)) return value;
  throw new RecordError(`${formatPath(path)}: ${value === undefined ? 'missing' : `expected an object, found ${describeJson(value)}`}`);
}

export function recordId(record: JsonObject): string | null {
  const id = record.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
}

/** The record's own desirability label (`label: true|false`), where it gives one. */
export function sourceLabel(record: JsonObject): { label?: boolean } {
  return typeof record.label === 'boolean' ? { label: record.label } : {};
}

export function groundTruth(record: JsonObject): string | null {
  for (const key of GROUND_TRUTH_KEYS) {
    const value = record[key];
    if (typeof value === 'string' || typeof value === 'number') return String(value);
  }
  return null;
}

function imagePath(item: Json, path: JsonPath): string {
  if (typeof item === 'string') return item;
  if (isJsonObject(item) && typeof item.path === 'string') return item.path;
  throw new RecordError(`${formatPath(path)}: expected an image path (a string or {"path": ...}), found ${describeJson(item)}`);
}

/**
 * The image paths of `image_path`, `image` and `images`, each a path, a `{"path": ...}` object or a list of
 * them. `null` means no image (text-only records in mixed LLaVA data carry it).
 */
export function recordImages(record: JsonObject): string[] {
  return flatMapped(IMAGE_KEYS, (key) => imagesAt(record, key));
}

/**
 * The image paths under one key of `record` (an object at `at` in the line, the record itself unless given): a
 * path, a `{"path": ...}` object or a list of them; absent or `null` is none.
 */
export function imagesAt(record: JsonObject, key: string, at: JsonPath = []): string[] {
  const value = record[key];
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value.map((item, index) => imagePath(item, [...at, key, index])) : [imagePath(value, [...at, key])];
}

/** R1-VL `key_steps.Steps` (an RL problem's, or a chat record's that carries them): each item a string or a list of acceptable alternatives; absent means none. */
export function readKeySteps(record: JsonObject): string[][] | null {
  const keySteps = record.key_steps;
  if (keySteps === undefined) return null;
  const steps = isJsonObject(keySteps) ? keySteps.Steps : undefined;
  if (!Array.isArray(steps)) throw new RecordError(`key_steps.Steps: expected a list, found ${describeJson(steps)}`);
  return steps.map((step, index) => {
    const alternatives = Array.isArray(step) ? step : [step];
    if (alternatives.every((alternative): alternative is string => typeof alternative === 'string')) return alternatives;
    throw new RecordError(`key_steps.Steps[${index}]: expected a string or a list of strings, found ${describeJson(step)}`);
  });
}
