import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { HOST, isRunning } from './processes';

const MARK = 'cot-studio';
/** `.<target name>.cot-studio-<host>-<pid>-<random>.tmp`: hidden, named for its target, and for the process writing it. */
const TEMPORARY = new RegExp(`^\\..+\\.${MARK}-([A-Za-z0-9-]+)-(\\d+)-[0-9a-f]+\\.tmp$`);

/** A new temporary file name beside `target`, recognisably ours and the writing process's. */
export function temporaryPath(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${MARK}-${HOST}-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Removes temporary files in `folder` that a write of ours left behind when its process was killed (their
 * process is gone); files of running processes and of other machines stay. Returns the names removed.
 */
export async function removeStaleTemporaries(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch {
    return [];
  }
  const stale = names.filter((name) => {
    const match = TEMPORARY.exec(name);
    return match !== null && match[1] === HOST && !isRunning(Number(match[2]));
  });
  await Promise.all(stale.map((name) => fs.rm(path.join(folder, name), { force: true })));
  return stale;
}
