// The GPT-2 byte-level scheme of the ByteLevel pre-tokenizer and decoder, reproduced so training splits
// text exactly as @huggingface/tokenizers and the Rust tokenizers do when encoding.

function byteChars(): string[] {
  const printable = (from: string, to: string) => Array.from({ length: to.charCodeAt(0) - from.charCodeAt(0) + 1 }, (_, i) => from.charCodeAt(0) + i);
  const direct = new Set([...printable('!', '~'), ...printable('¡', '¬'), ...printable('®', 'ÿ')]);
  const chars: string[] = [];
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) chars.push(String.fromCharCode(direct.has(byte) ? byte : 256 + shifted++));
  return chars;
}

/** The printable character standing for each byte value. */
export const BYTE_CHARS: readonly string[] = byteChars();

const encoder = new TextEncoder();

/** A word's UTF-8 bytes written as byte characters. */
export function byteLevel(word: string): string {
  let out = '';
  for (const byte of encoder.encode(word)) out += BYTE_CHARS[byte];
  return out;
}

/** The ByteLevel pre-tokenizer's split (`use_regex: true`). */
export const preTokenize = (text: string): string[] => text.match(/'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu) ?? [];
