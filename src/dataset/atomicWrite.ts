import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Writes a file so that readers see either the old or the new content, never a half-written one: write a
 * temporary file in the same folder, flush it to disk, then rename it over the target. The target's
 * permissions are kept.
 */
export async function atomicWrite(target: string, chunks: Iterable<Uint8Array>): Promise<void> {
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = await fs.stat(target).then(
    (stat) => stat.mode,
    () => undefined,
  );
  const handle = await fs.open(temporary, 'w', mode);
  try {
    for (const chunk of chunks) await handle.write(chunk);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temporary, target);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
}
