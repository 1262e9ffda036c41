import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { datasetsDir } from './fixtures';

/** Text is gathered into blocks of this size before it is hashed and written: a few large writes. */
const BLOCK_CHARS = 4 * 1024 * 1024;

export interface LargeDataset {
  file: string;
  /** Records (one a line, every line ends with a newline). */
  records: number;
  /** Bytes before the last line, and the SHA-1 of them: what a save of an edit of the last line must keep. */
  headBytes: number;
  headHash: string;
  lastLine: string;
  byteLength: number;
}

/**
 * Writes a JSONL file of at least `bytes` bytes of the LLaVA-CoT sample's records, each with an id of its own,
 * hashing what precedes the last line as it goes so the file never has to be read back whole. The last line
 * is the sample's second record, whose REASONING is segment 2.
 */
export function writeLargeDataset(file: string, bytes: number): LargeDataset {
  const samples = fs
    .readFileSync(path.join(datasetsDir, 'llava_cot.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
  // Each record is its sample with the id replaced: the text around the id is cut out once.
  const parts = samples.map((line) => {
    const id = /^\{"id": "[^"]*"/.exec(line);
    if (!id) throw new Error(`a sample record without a leading id: ${line.slice(0, 40)}`);
    return { head: '{"id": "big-', tail: line.slice(id[0].length - 1) };
  });
  const record = (n: number): string => {
    const { head, tail } = parts[n % parts.length] as { head: string; tail: string };
    return `${head}${n}${tail}\n`;
  };
  const last = parts[1] as { head: string; tail: string };
  const hash = createHash('sha1');
  const fd = fs.openSync(file, 'w');
  let written = 0;
  let records = 0;
  try {
    const flush = (text: string): void => {
      const block = Buffer.from(text, 'utf8');
      hash.update(block);
      fs.writeSync(fd, block);
      written += block.length;
    };
    let block: string[] = [];
    let blockChars = 0;
    // The last record is about as long as the others: stop a record's length short of the size asked for.
    while (written + blockChars + 1000 < bytes) {
      const text = record(records++);
      block.push(text);
      blockChars += text.length;
      if (blockChars >= BLOCK_CHARS) {
        flush(block.join(''));
        block = [];
        blockChars = 0;
      }
    }
    flush(block.join(''));
    const lastLine = `${last.head}${records}${last.tail}`;
    records++;
    const headBytes = written;
    fs.writeSync(fd, `${lastLine}\n`);
    return { file, records, headBytes, headHash: hash.digest('hex'), lastLine, byteLength: headBytes + Buffer.byteLength(lastLine) + 1 };
  } finally {
    fs.closeSync(fd);
  }
}

/** The SHA-1 of the bytes [start, end) of a file, streamed. */
export async function hashRange(file: string, start: number, end: number): Promise<string> {
  const hash = createHash('sha1');
  if (end > start) for await (const chunk of fs.createReadStream(file, { start, end: end - 1, highWaterMark: 4 * 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The SHA-1 of a whole file, streamed. */
export async function hashFile(file: string): Promise<string> {
  return hashRange(file, 0, fs.statSync(file).size);
}
