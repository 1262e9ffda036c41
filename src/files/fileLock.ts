import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { describeFileError, errorCode } from './fileErrors';
import { HOST, isRunning } from './processes';
import { realTargetPath } from './writeTarget';

/** Who holds a lock: written into the lock file so that a waiting writer can name it and tell a dead holder. */
const holderSchema = z.object({ pid: z.number().int(), host: z.string(), purpose: z.string(), since: z.string() });
type Holder = z.infer<typeof holderSchema>;

/** A writer found the file locked for longer than it would wait. */
export class LockedError extends Error {}

export interface LockOptions {
  /** What the holder is doing, shown to whoever waits (`cot-studio regenerate --write`). */
  purpose: string;
  /** How long to wait for another holder before giving up; 0 gives up at once. */
  waitMs?: number;
}

const POLL_MS = 100;
const UNREADABLE_STALE_MS = 10_000;

/** `.<name>.cot-studio.lock` beside the file, named for its real path so every link to the file shares one lock. */
async function lockPath(target: string): Promise<string> {
  const real = await realTargetPath(target);
  return path.join(path.dirname(real), `.${path.basename(real)}.cot-studio.lock`);
}

function parseHolder(text: string | undefined): Holder | undefined {
  try {
    const parsed = holderSchema.safeParse(JSON.parse(text ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const readText = (file: string): Promise<string | undefined> => fs.readFile(file, 'utf8').catch(() => undefined);

/** A lock whose holder is a process of this machine that no longer runs, or that stayed unreadable (its writer died while writing it). */
async function isStale(file: string, text: string | undefined): Promise<boolean> {
  const holder = parseHolder(text);
  if (holder !== undefined) return holder.host === HOST && !isRunning(holder.pid);
  const stat = await fs.stat(file).catch(() => undefined);
  return stat !== undefined && Date.now() - stat.mtimeMs > UNREADABLE_STALE_MS;
}

/** Takes the lock (created with O_EXCL, so only one process can); false when someone else holds it. */
async function tryLock(file: string, holder: Holder): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'wx');
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw new Error(`cannot lock ${file}: ${describeFileError(error)}`);
    return breakIfStale(file, holder);
  }
  try {
    await handle.writeFile(JSON.stringify(holder));
    await handle.close();
    return true;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.rm(file, { force: true });
    throw new Error(`cannot lock ${file}: ${describeFileError(error)}`);
  }
}

/** Moves a stale lock aside and tries again; false when the lock is someone's who still runs. */
async function breakIfStale(file: string, holder: Holder): Promise<boolean> {
  const text = await readText(file);
  if (!(await isStale(file, text))) return false;
  // Moving the stale lock aside is atomic: of two writers that both found it stale, one moves it; one that moved
  // a fresh lock instead (taken in between) puts it back. Either then tries again, and finds the lock free or fresh.
  const aside = `${file}.${process.pid}.stale`;
  if (
    await fs.rename(file, aside).then(
      () => true,
      () => false,
    )
  ) {
    if ((await readText(aside)) !== text) await fs.link(aside, file).catch(() => undefined);
    await fs.rm(aside, { force: true });
  }
  return tryLock(file, holder);
}

function describeHolder(holder: Holder | undefined): string {
  if (holder === undefined) return 'another process';
  const where = holder.host === HOST ? '' : ` on ${holder.host}`;
  return `${holder.purpose} (pid ${holder.pid}${where}, since ${holder.since})`;
}

/** A lock held: released once, however the work it guards ends. */
export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Takes an exclusive lock on `target`, so that two CoT Studio writers of one file (two CLI runs, or a CLI run
 * and the editor) never both read the same version and write over each other. Waits up to `waitMs` for
 * another holder, then stops with a message naming it.
 */
export async function acquireFileLock(target: string, options: LockOptions): Promise<HeldLock> {
  const file = await lockPath(target);
  const holder: Holder = { pid: process.pid, host: HOST, purpose: options.purpose, since: new Date().toISOString() };
  const deadline = Date.now() + (options.waitMs ?? 0);
  for (;;) {
    if (await tryLock(file, holder)) break;
    if (Date.now() >= deadline) {
      throw new LockedError(
        `${target} is being written by ${describeHolder(parseHolder(await readText(file)))}; not written (try again when it has finished, or remove ${file} if that process is gone)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return { release: () => fs.rm(file, { force: true }) };
}

/** Runs `work` holding the lock on `target` (see `acquireFileLock`). */
export async function withFileLock<T>(target: string, options: LockOptions, work: () => Promise<T>): Promise<T> {
  const lock = await acquireFileLock(target, options);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}
