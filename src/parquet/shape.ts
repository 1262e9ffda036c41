// The writer's own types: it depends on an older hyparquet than the reader.
import type { KeyValue, SchemaElement } from 'hyparquet-writer';
import { isValueObject, type Value, type ValueObject } from './value';

/**
 * What a JSONL file's values at one place have been, merged over every record: the Parquet type they are
 * written as. Values that disagree (a string here, a list there; a number and a boolean) make that place
 * `json`: each value is stored as its JSON text, which every reader takes back as it was.
 */
export type Shape = { kind: 'null' | 'boolean' | 'int' | 'double' | 'string' | 'binary' | 'json' } | { kind: 'list'; element: Shape } | StructShape;

export interface StructShape {
  kind: 'struct';
  fields: Map<string, Field>;
  /** Objects seen here: a field first seen after the first object was absent from the earlier ones. */
  seen: number;
}

interface Field {
  shape: Shape;
  /** Some object here lacked the key. */
  absent: boolean;
  /** Some object here had the key set to null. */
  nulled: boolean;
}

/** Key-value metadata naming the fields whose nulls stand for a missing key, so that a round trip leaves them out again. */
export const ABSENT_FIELDS_KEY = 'cot-studio.absent-fields';

const INT64_LIMIT = 2 ** 63;

export function recordShape(): StructShape {
  return { kind: 'struct', fields: new Map(), seen: 0 };
}

/** Adds a record's values to the shape of the file's records. */
export function observeRecord(shape: StructShape, record: ValueObject): void {
  observeObject(shape, record);
}

function kindOf(value: Exclude<Value, null>): Shape['kind'] {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'bigint') return value >= -(2n ** 63n) && value < 2n ** 63n ? 'int' : 'double';
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) < INT64_LIMIT ? 'int' : 'double';
  if (value instanceof Uint8Array) return 'binary';
  return Array.isArray(value) ? 'list' : 'struct';
}

function observe(shape: Shape, value: Value): Shape {
  if (value === null || shape.kind === 'json') return shape;
  const kind = kindOf(value);
  if (shape.kind === 'null') return observe(kind === 'list' ? { kind, element: { kind: 'null' } } : kind === 'struct' ? recordShape() : { kind }, value);
  if (shape.kind === 'list' && Array.isArray(value)) {
    for (const item of value) shape.element = observe(shape.element, item);
    return shape;
  }
  if (shape.kind === 'struct' && isValueObject(value)) {
    observeObject(shape, value);
    return shape;
  }
  if (shape.kind === kind) return shape;
  if ((shape.kind === 'int' && kind === 'double') || (shape.kind === 'double' && kind === 'int')) return { kind: 'double' };
  return { kind: 'json' };
}

function observeObject(shape: StructShape, object: ValueObject): void {
  const entries = Object.entries(object);
  for (const [key, value] of entries) {
    let field = shape.fields.get(key);
    if (field === undefined) {
      field = { shape: { kind: 'null' }, absent: shape.seen > 0, nulled: false };
      shape.fields.set(key, field);
    }
    if (value === null) field.nulled = true;
    field.shape = observe(field.shape, value);
  }
  // Only when this object lacks a field seen before: most records have every key.
  if (entries.length < shape.fields.size) {
    for (const [key, field] of shape.fields) if (!Object.hasOwn(object, key)) field.absent = true;
  }
  shape.seen++;
}

/**
 * The Parquet schema of the records: one optional column per key, in the order the keys first appear. Objects
 * are structs, lists are three-level LISTs (`list` / `element`, as Arrow writes them), integers INT64,
 * other numbers DOUBLE, strings UTF8 byte arrays, bytes plain byte arrays; a place where only nulls were
 * seen is a string column, and an object that never had a key is JSON text (Parquet has no empty group).
 */
export function schemaOf(shape: StructShape): SchemaElement[] {
  return [{ name: 'root', num_children: shape.fields.size }, ...[...shape.fields].flatMap(([name, field]) => elements(name, field.shape))];
}

function elements(name: string, shape: Shape): SchemaElement[] {
  const repetition_type = 'OPTIONAL';
  switch (shape.kind) {
    case 'boolean':
      return [{ name, repetition_type, type: 'BOOLEAN' }];
    case 'int':
      return [{ name, repetition_type, type: 'INT64' }];
    case 'double':
      return [{ name, repetition_type, type: 'DOUBLE' }];
    case 'null':
    case 'string':
      return [{ name, repetition_type, type: 'BYTE_ARRAY', converted_type: 'UTF8' }];
    case 'binary':
      return [{ name, repetition_type, type: 'BYTE_ARRAY' }];
    case 'json':
      return [{ name, repetition_type, type: 'BYTE_ARRAY', converted_type: 'JSON' }];
    case 'list':
      return [
        { name, repetition_type, converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        ...elements('element', shape.element),
      ];
    case 'struct':
      if (shape.fields.size === 0) return elements(name, { kind: 'json' });
      return [{ name, repetition_type, num_children: shape.fields.size }, ...[...shape.fields].flatMap(([key, field]) => elements(key, field.shape))];
  }
}

/** The metadata that lets a reader leave out again the keys that were missing (never null) in the records. */
export function shapeMetadata(shape: StructShape): KeyValue[] {
  const paths: string[][] = [];
  const collect = (struct: StructShape, prefix: string[]): void => {
    for (const [key, field] of struct.fields) {
      const path = [...prefix, key];
      if (field.absent && !field.nulled) paths.push(path);
      let inner = field.shape;
      while (inner.kind === 'list') inner = inner.element;
      if (inner.kind === 'struct') collect(inner, path);
    }
  };
  collect(shape, []);
  return paths.length === 0 ? [] : [{ key: ABSENT_FIELDS_KEY, value: JSON.stringify(paths) }];
}

/**
 * The value as the Parquet writer takes it for a place of this shape: INT64 as bigint, a struct's missing
 * fields as null, JSON places as they are (the writer writes their text).
 */
export function columnValue(shape: Shape, value: Value | undefined): unknown {
  if (value === null || value === undefined) return null;
  switch (shape.kind) {
    case 'int':
      return typeof value === 'bigint' ? value : BigInt(value as number);
    case 'double':
      return Number(value);
    case 'list':
      return (value as Value[]).map((item) => columnValue(shape.element, item));
    case 'struct': {
      if (shape.fields.size === 0) return value;
      const object = value as ValueObject;
      // Keyed by the schema's field names, as the writer reads them.
      const row: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const [key, field] of shape.fields) row[key] = columnValue(field.shape, Object.hasOwn(object, key) ? object[key] : undefined);
      return row;
    }
    default:
      return value;
  }
}
