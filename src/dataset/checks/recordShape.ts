import type { Json } from '../record';

/** What one walk over a parsed record tells the checks of what JSON.parse hid. */
export interface RecordShape {
  /** Keys of every object in the record: a line that spells more gave some key twice. */
  keys: number;
  /** Some number parsed to ±Infinity: the line spells one beyond a double's range. */
  overflow: boolean;
}

/** One walk for both checks, so a record costs a walk however many of them there are. */
export function recordShape(value: Json, shape: RecordShape = { keys: 0, overflow: false }): RecordShape {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) shape.overflow = true;
  } else if (Array.isArray(value)) {
    for (const item of value) recordShape(item, shape);
  } else if (typeof value === 'object' && value !== null) {
    for (const key in value) {
      shape.keys++;
      recordShape(value[key] as Json, shape);
    }
  }
  return shape;
}
