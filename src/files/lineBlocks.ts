/**
 * A byte stream cut into blocks of whole lines, each ending with the newline of its last line (the stream's
 * own last line may have none), about a chunk at a time: memory holds a block and the part line after it,
 * never the stream. A line longer than a chunk waits until its newline comes. The part line is copied, so a
 * chunk's buffer may be filled again once the next chunk is asked for (`readAhead`); a block is valid until then.
 * A line across two chunks is a block of its own, so the rest of a chunk is given as it was read, never copied.
 */
export async function* lineBlocks(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  for await (const chunk of chunks) {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lastNewline = bytes.lastIndexOf(0x0a);
    if (lastNewline === -1) {
      pending.push(Buffer.from(bytes));
      continue;
    }
    let wholeFrom = 0;
    if (pending.length > 0) {
      wholeFrom = bytes.indexOf(0x0a) + 1;
      yield Buffer.concat([...pending, bytes.subarray(0, wholeFrom)]);
    }
    if (wholeFrom <= lastNewline) yield bytes.subarray(wholeFrom, lastNewline + 1);
    pending = lastNewline + 1 < bytes.length ? [Buffer.from(bytes.subarray(lastNewline + 1))] : [];
  }
  if (pending.length > 0) yield Buffer.concat(pending);
}
