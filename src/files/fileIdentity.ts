import * as fs from 'node:fs/promises';
import { errorCode } from './fileErrors';

/** Which file a path named when it was read, and its content's size and time: enough to notice a replacement or a write. */
export interface FileIdentity {
  device: bigint;
  inode: bigint;
  size: bigint;
  modifiedNs: bigint;
}

/** The identity of the file at `file` now, or undefined when there is none. */
export async function fileIdentity(file: string): Promise<FileIdentity | undefined> {
  try {
    const stat = await fs.stat(file, { bigint: true });
    return { device: stat.dev, inode: stat.ino, size: stat.size, modifiedNs: stat.mtimeNs };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

export function sameIdentity(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.device === b.device && a.inode === b.inode && a.size === b.size && a.modifiedNs === b.modifiedNs;
}
