import { visit } from 'jsonc-parser';

/**
 * A record's value as Parquet holds it: JSON, plus integers beyond a double's exact range (bigint) and the
 * bytes of embedded images (Uint8Array).
 */
export type Value = null | boolean | number | bigint | string | Uint8Array | Value[] | { [key: string]: Value };
export type ValueObject = { [key: string]: Value };

export function isValueObject(value: Value | undefined): value is ValueObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** A run of digits too long for a double to hold exactly (2^53 has 16 digits); its line is read digit for digit. */
const LONG_INTEGER = /\d{16}/;

/**
 * The value of a JSON text that JSON.parse has accepted, with integers beyond 2^53 kept exactly as bigints:
 * JSON.parse would round them, and an id or a token count must survive a round trip through Parquet's INT64.
 */
export function parseJsonText(text: string): Value {
  const parsed = JSON.parse(text) as Value;
  return LONG_INTEGER.test(text) ? parseExactly(text) : parsed;
}

/** The JSON text rebuilt from its tokens (jsonc-parser's scanner), with each integer literal read exactly. */
function parseExactly(text: string): Value {
  let root: Value = null;
  // Each open container and, for objects, the key its next value goes under.
  const open: { container: Value[] | ValueObject; key?: string }[] = [];
  const place = (value: Value): void => {
    const top = open.at(-1);
    if (top === undefined) root = value;
    else if (Array.isArray(top.container)) top.container.push(value);
    // A defined property: a key such as `__proto__` is data like any other, as JSON.parse makes it.
    else Object.defineProperty(top.container, top.key ?? '', { value, enumerable: true, writable: true, configurable: true });
  };
  visit(text, {
    onObjectBegin: () => {
      const container: ValueObject = {};
      place(container);
      open.push({ container });
    },
    onObjectProperty: (property) => {
      const top = open.at(-1);
      if (top) top.key = property;
    },
    onObjectEnd: () => void open.pop(),
    onArrayBegin: () => {
      const container: Value[] = [];
      place(container);
      open.push({ container });
    },
    onArrayEnd: () => void open.pop(),
    onLiteralValue: (value: unknown, offset, length) => {
      const literal = text.slice(offset, offset + length);
      place(typeof value === 'number' && !Number.isSafeInteger(value) && /^-?\d+$/.test(literal) ? BigInt(literal) : (value as Value));
    },
  });
  return root;
}

/**
 * The JSON text of a value: a bigint is written as its digits (JSON.stringify refuses them), and only the rare
 * value that holds one takes the slower walk. Bytes have no JSON form; they are turned into paths before this.
 */
export function stringifyValue(value: Value): string {
  return holdsBigint(value) ? stringifyWithBigints(value) : JSON.stringify(value);
}

function holdsBigint(value: Value): boolean {
  if (typeof value === 'bigint') return true;
  if (Array.isArray(value)) return value.some(holdsBigint);
  return isValueObject(value) && Object.values(value).some(holdsBigint);
}

function stringifyWithBigints(value: Value): string {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(stringifyWithBigints).join(',')}]`;
  if (isValueObject(value))
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}:${stringifyWithBigints(item)}`)
      .join(',')}}`;
  return JSON.stringify(value);
}
