import { isUtf8 } from 'node:buffer';
import { asyncBufferFromFile, type FileMetaData, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { imageMimeType } from '../dataset/images';
import { ABSENT_FIELDS_KEY } from './shape';
import { parseJsonText, type Value, type ValueObject } from './value';
import { errorMessage } from '../errors/message';

/** Bytes stored in a Parquet row: an image (or other file) to be written out, or inlined, and referred to. */
export interface Embedded {
  bytes: Uint8Array;
  /** The `path` of a Hugging Face `{bytes, path}` struct (the file's name when it was embedded), if any. */
  path: string | null;
  /** 1-based row of the file, and the place among the row's embedded files (0, 1, ...). */
  row: number;
  index: number;
}

/** Where embedded bytes went: the reference the record holds in their place (a relative path, a data URI). */
export type EmbeddedSink = (embedded: Embedded) => string;

export interface ParquetRecord {
  /** 1-based row of the file. */
  row: number;
  record: ValueObject;
}

/** A file hyparquet cannot read, or a value it gives that JSON cannot hold; the message names the file. */
export class ParquetReadError extends Error {}

/**
 * The rows of a Parquet file as JSON records, one row group at a time so that memory holds one group (its
 * size is the writer's choice). Columns are keys; structs, maps and lists nest as objects and arrays. Bytes
 * become references through `sink`: a Hugging Face `{bytes, path}` struct (the `Image` feature, alone or in a
 * list) always, other binary values when they are not UTF-8 text (a column of text written without its
 * string annotation reads as that text). Integers beyond a double's exact range are kept as bigints,
 * timestamps become ISO 8601 text, NaN and infinities null. Nulls stay, except in fields that this product
 * wrote for records that lacked the key.
 */
export async function* readParquetRecords(file: string, sink: EmbeddedSink): AsyncGenerator<ParquetRecord> {
  const buffer = await asyncBufferFromFile(file);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new ParquetReadError(`${file}: not a Parquet file this product can read (${errorMessage(error)})`);
  }
  const absent = absentFields(metadata);
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupEnd = groupStart + Number(group.num_rows);
    let rows: Record<string, unknown>[];
    try {
      // Bytes stay bytes (utf8: false) unless annotated as text: an image must not be decoded as a string.
      rows = await parquetReadObjects({ file: buffer, metadata, rowStart: groupStart, rowEnd: groupEnd, compressors, utf8: false, parsers: { jsonFromBytes } });
    } catch (error) {
      throw new ParquetReadError(`${file}: rows ${groupStart + 1}-${groupEnd}: ${errorMessage(error)}`);
    }
    for (let offset = 0; offset < rows.length; offset++) {
      const row = groupStart + offset + 1;
      const converter = new RowConverter(file, row, sink, absent);
      yield { row, record: converter.object(rows[offset], []) };
    }
    groupStart = groupEnd;
  }
}

function jsonFromBytes(bytes: Uint8Array | undefined): Value | undefined {
  return bytes && parseJsonText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
}

/** The field paths (struct names, lists passed through) whose nulls are missing keys; only this product writes them. */
function absentFields(metadata: FileMetaData): Set<string> {
  const entry = metadata.key_value_metadata?.find((item) => item.key === ABSENT_FIELDS_KEY);
  if (entry?.value === undefined) return new Set();
  try {
    const paths: unknown = JSON.parse(entry.value);
    return new Set(Array.isArray(paths) ? paths.map((path) => JSON.stringify(path)) : []);
  } catch {
    return new Set();
  }
}

function isImageStruct(value: object): value is { bytes?: Uint8Array | null; path?: string | null } {
  const keys = Object.keys(value);
  if (keys.length !== 2 || !keys.includes('bytes') || !keys.includes('path')) return false;
  const { bytes, path } = value as { bytes?: unknown; path?: unknown };
  return (bytes === null || bytes === undefined || bytes instanceof Uint8Array) && (path === null || path === undefined || typeof path === 'string');
}

/** One row's values made JSON, its embedded files numbered in the order met. */
class RowConverter {
  private embedded = 0;

  constructor(
    private readonly file: string,
    private readonly row: number,
    private readonly sink: EmbeddedSink,
    private readonly absent: ReadonlySet<string>,
  ) {}

  object(raw: object, path: string[]): ValueObject {
    const entries: [string, Value][] = [];
    for (const [key, item] of Object.entries(raw)) {
      const fieldPath = [...path, key];
      const value = this.value(item, fieldPath);
      if (value === undefined || (value === null && this.absent.has(JSON.stringify(fieldPath)))) continue;
      entries.push([key, value]);
    }
    // fromEntries defines each key as data, so a column named `__proto__` is a key like any other.
    return Object.fromEntries(entries) as ValueObject;
  }

  /** undefined: no value (a struct field that a writer left out); null in a list. */
  private value(raw: unknown, path: string[]): Value | undefined {
    if (raw === undefined) return undefined;
    if (raw === null || typeof raw === 'boolean' || typeof raw === 'string') return raw;
    if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
    if (typeof raw === 'bigint') return Number.isSafeInteger(Number(raw)) ? Number(raw) : raw;
    if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? null : raw.toISOString();
    if (raw instanceof Uint8Array) return this.bytes(raw);
    if (Array.isArray(raw)) return raw.map((item) => this.value(item, path) ?? null);
    if (typeof raw === 'object') {
      if (isImageStruct(raw)) return raw.bytes ? this.embed(raw.bytes, raw.path ?? null) : (raw.path ?? null);
      return this.object(raw, path);
    }
    throw new ParquetReadError(`${this.file}: row ${this.row}: ${path.join('.')}: a value JSON cannot hold (${typeof raw})`);
  }

  /** Plain binary: an image is written out; other bytes that are UTF-8 are text a writer did not annotate. */
  private bytes(bytes: Uint8Array): Value {
    return imageMimeType(bytes) === null && isUtf8(bytes)
      ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
      : this.embed(bytes, null);
  }

  private embed(bytes: Uint8Array, path: string | null): string {
    return this.sink({ bytes, path, row: this.row, index: this.embedded++ });
  }
}
