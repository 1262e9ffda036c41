import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileSource } from './byteSource';

/**
 * Runs `use` on a temporary file holding all of standard input, removed afterwards either way: for a reader
 * that passes over its input twice, which standard input allows once.
 */
export async function withStandardInputFile<T>(use: (file: string) => Promise<T>): Promise<T> {
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'cot-studio-input-'));
  try {
    const file = path.join(folder, 'standard-input');
    await fs.writeFile(file, process.stdin, { flag: 'wx' });
    return await use(file);
  } finally {
    await fs.rm(folder, { recursive: true, force: true });
  }
}

/**
 * The bytes of `chunks` (standard input, a Parquet file's rows as JSONL) in a temporary file that is removed as
 * soon as it is opened: the handle keeps its bytes for reading a line at a time, memory holds none of them, and
 * nothing is left behind however the process ends.
 */
export async function spooledSource(chunks: AsyncIterable<Uint8Array | string>): Promise<FileSource> {
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'cot-studio-input-'));
  try {
    const file = path.join(folder, 'dataset.jsonl');
    await fs.writeFile(file, chunks, { flag: 'wx' });
    return FileSource.open(file);
  } finally {
    await fs.rm(folder, { recursive: true, force: true });
  }
}
