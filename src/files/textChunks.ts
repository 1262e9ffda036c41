/** Texts are handed to a file in chunks of about this many characters, not one write per line. */
const CHUNK_CHARS = 1 << 16;

/** The texts as UTF-8 chunks of about 64K characters each, for `atomicWrite`. */
export async function* textChunks(texts: Iterable<string> | AsyncIterable<string>): AsyncGenerator<Uint8Array> {
  let pending: string[] = [];
  let size = 0;
  for await (const text of texts) {
    pending.push(text);
    size += text.length;
    if (size < CHUNK_CHARS) continue;
    yield Buffer.from(pending.join(''));
    pending = [];
    size = 0;
  }
  if (pending.length > 0) yield Buffer.from(pending.join(''));
}
