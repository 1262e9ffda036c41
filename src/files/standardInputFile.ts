import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

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
