import { isUtf8 } from 'node:buffer';

/** The first ill-formed UTF-8 sequence of a line's bytes. */
export interface InvalidUtf8 {
  /** Offset in the line's bytes (after the file's byte order mark on the first line). */
  byte: number;
  /** The byte found there. */
  value: number;
  /** Where the decoded line shows U+FFFD for it (UTF-16 code units): the column range is [column, column + 1). */
  column: number;
}

// Keeps a leading EF BB BF as U+FEFF, so byte offsets and the decoded text line up.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const REPLACEMENT = '\uFFFD';

/**
 * Where `bytes` stop being UTF-8, or undefined when they are. The fast check runs first; only a line that
 * fails it is decoded, and each U+FFFD of the result is either one spelled in the bytes (EF BF BD) or the
 * stand-in for the first ill-formed sequence. The text before it is well-formed, so its UTF-8 length is
 * exactly the byte offset.
 */
export function findInvalidUtf8(bytes: Uint8Array): InvalidUtf8 | undefined {
  if (isUtf8(bytes)) return undefined;
  const text = decoder.decode(bytes);
  let byte = 0;
  let from = 0;
  for (let column = text.indexOf(REPLACEMENT); column !== -1; column = text.indexOf(REPLACEMENT, column + 1)) {
    byte += Buffer.byteLength(text.slice(from, column));
    if (bytes[byte] !== 0xef || bytes[byte + 1] !== 0xbf || bytes[byte + 2] !== 0xbd) return { byte, value: bytes[byte], column };
    byte += 3;
    from = column + 1;
  }
  return undefined;
}

/** `invalid UTF-8 at byte 123 of the line (0xff)`: what a message about the line says first. */
export function describeInvalidUtf8(problem: InvalidUtf8): string {
  return `invalid UTF-8 at byte ${problem.byte} of the line (0x${problem.value.toString(16).padStart(2, '0')})`;
}
