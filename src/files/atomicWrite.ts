import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describeFileError, errorCode } from './fileErrors';
import { type FileIdentity, fileIdentity, sameIdentity } from './fileIdentity';
import { removeStaleTemporaries, temporaryPath } from './temporaryFiles';
import { checkWriteTarget, type TargetOptions } from './writeTarget';

export interface AtomicWriteOptions extends TargetOptions {
  /**
   * The target as it was when its content was read: the write stops, leaving it alone, when it was replaced or
   * written since (by a program that takes no lock). Undefined: the target's current content does not matter.
   */
  expected?: FileIdentity | 'missing';
}

/** A write that did not happen; the target is as it was. */
export class WriteError extends Error {
  constructor(
    readonly target: string,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * Writes a file so that readers see either the old or the new content, never a part: every byte goes to a
 * temporary file beside the target (short writes are continued, a write that makes no progress fails), the
 * file is flushed to disk and its size checked, and only then renamed over the target. Any failure (a full
 * disk, an I/O error, a kill) leaves the target as it was; the temporary file is removed, or, after a kill,
 * removed by the next write into that folder. The target's permissions are kept.
 *
 * A target that is not a regular file is refused unless `replaceSpecial`; a symbolic link is written through
 * with `followLinks` (the link stays and its file gets the content). Returns the bytes written.
 */
export async function atomicWrite(target: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, options: AtomicWriteOptions = {}): Promise<number> {
  const file = await checkWriteTarget(target, options);
  const folder = path.dirname(file);
  await removeStaleTemporaries(folder);
  const mode = await fs.stat(file).then(
    (stat) => stat.mode & 0o7777,
    () => undefined,
  );
  const temporary = temporaryPath(file);
  const fail = (error: unknown): never => {
    if (error instanceof WriteError) throw error;
    // An error of the content itself (not of the disk) is passed on as it is.
    if (errorCode(error) === undefined) throw error;
    throw new WriteError(
      target,
      `cannot write ${target}: ${describeFileError(error)}; ${mode === undefined ? 'nothing was written' : 'the file was left as it was'}`,
      errorCode(error),
    );
  };
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(temporary, 'wx', mode ?? 0o666);
  } catch (error) {
    return fail(error);
  }
  let written = 0;
  const flusher = new Flusher(handle);
  try {
    for await (const chunk of chunks) {
      written += await writeAll(handle, chunk);
      flusher.wrote(chunk.length);
    }
    await flusher.idle();
    if (mode !== undefined) await handle.chmod(mode);
    await handle.sync();
    const { size } = await handle.stat();
    if (size !== written)
      throw new WriteError(target, `cannot write ${target}: the disk holds ${size} of the ${written} bytes written; the file was left as it was`);
    await handle.close();
    await checkUnchanged(target, file, options.expected);
    await fs.rename(temporary, file);
  } catch (error) {
    await flusher.idle().catch(() => undefined);
    await handle.close().catch(() => undefined);
    await fs.rm(temporary, { force: true });
    return fail(error);
  }
  await syncFolder(folder);
  return written;
}

/** A large file is flushed to disk every this many bytes while it is written. */
const FLUSH_EVERY_BYTES = 64 * 1024 * 1024;

/**
 * Starts flushing what was written while the next bytes are written, one flush at a time: the final sync then
 * waits for the last stretch only, so a large save costs about the copy rather than the copy plus the disk.
 */
class Flusher {
  private unflushed = 0;
  private flushing: Promise<void> | undefined;
  private failure: unknown;

  constructor(private readonly handle: fs.FileHandle) {}

  wrote(bytes: number): void {
    if (this.failure !== undefined) throw this.failure;
    this.unflushed += bytes;
    if (this.unflushed < FLUSH_EVERY_BYTES || this.flushing) return;
    this.unflushed = 0;
    this.flushing = this.handle.datasync().then(
      () => {
        this.flushing = undefined;
      },
      (error: unknown) => {
        this.flushing = undefined;
        this.failure = error;
      },
    );
  }

  /** Waits for the flush under way; throws the error of a flush that failed. */
  async idle(): Promise<void> {
    await this.flushing;
    if (this.failure !== undefined) throw this.failure;
  }
}

/** Writes the whole chunk, continuing after short writes; a write that stores nothing is a full disk. */
export async function writeAll(handle: fs.FileHandle, chunk: Uint8Array): Promise<number> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    if (bytesWritten <= 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    offset += bytesWritten;
  }
  return chunk.length;
}

async function checkUnchanged(target: string, file: string, expected: AtomicWriteOptions['expected']): Promise<void> {
  if (expected === undefined) return;
  const now = await fileIdentity(file);
  const unchanged = expected === 'missing' ? now === undefined : sameIdentity(now, expected);
  if (!unchanged) {
    const what = now === undefined ? 'was deleted' : expected === 'missing' ? 'was created by another program' : 'was changed by another program';
    throw new WriteError(target, `cannot write ${target}: it ${what} after it was read; not written over (read it again and repeat)`, 'ECHANGED');
  }
}

/** Makes the rename itself durable; some file systems cannot sync a folder, which only loses that guarantee. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await fs.open(folder, 'r').catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}
