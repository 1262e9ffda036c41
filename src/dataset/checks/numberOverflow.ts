import { isJsonObject, type Json, type JsonObject, type JsonPath } from '../record';
import type { LineTree } from './lineTree';
import type { RecordShape } from './recordShape';
import type { Finding } from './result';

const PREVIEW_CHARS = 24;

function* infinitePaths(value: Json, path: JsonPath): Generator<JsonPath> {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) yield path;
  } else if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) yield* infinitePaths(value[index], [...path, index]);
  } else if (isJsonObject(value)) {
    for (const [key, child] of Object.entries(value)) yield* infinitePaths(child, [...path, key]);
  }
}

/** Numbers JSON.parse reads as ±Infinity: the value is lost, and writing the record back would turn it into null. */
export function numberOverflowFindings(record: JsonObject, shape: RecordShape, tree: LineTree): Finding[] {
  if (!shape.overflow) return [];
  return [...infinitePaths(record, [])].map((field): Finding => {
    const spelled = tree.spelling(field) ?? 'the number';
    const shown = spelled.length > PREVIEW_CHARS ? `${spelled.slice(0, PREVIEW_CHARS)}… (${spelled.length} characters)` : spelled;
    return {
      check: 'number-overflow',
      severity: 'error',
      field,
      problem: `${shown} is beyond the largest number a double holds (about 1.8e308): JSON readers see Infinity, and JSON writers write null`,
    };
  });
}
