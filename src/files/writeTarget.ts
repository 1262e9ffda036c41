import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describeFileError, errorCode } from './fileErrors';

export interface TargetOptions {
  /** Write through a symbolic link to the file it names (a dataset saved in place), keeping the link. */
  followLinks?: boolean;
  /** Replace what is not a regular file (a FIFO, a device, a symbolic link) with a new file, instead of refusing. */
  replaceSpecial?: boolean;
  /** Files the target must not be (the inputs of an export), compared by their real paths. */
  notSameAs?: readonly string[];
}

/** A target that is refused before anything is written. */
export class TargetError extends Error {}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The real path of `file`, or, when it does not exist, of its folder joined with its name. */
export async function realTargetPath(file: string): Promise<string> {
  const absolute = path.resolve(file);
  try {
    return await fs.realpath(absolute);
  } catch {
    return path.join(await fs.realpath(path.dirname(absolute)).catch(() => path.dirname(absolute)), path.basename(absolute));
  }
}

/**
 * Checks that `target` may be written as a new regular file, before any work is spent on its content; returns
 * the path to write (the link's file when following links). Refuses, with a message naming the target: a
 * folder, a missing or unwritable folder, an input of the same run, and (unless asked) a FIFO, a device or a
 * symbolic link.
 */
export async function checkWriteTarget(target: string, options: TargetOptions = {}): Promise<string> {
  const absolute = path.resolve(target);
  const real = await realTargetPath(absolute);
  for (const input of options.notSameAs ?? []) {
    if (real === (await realTargetPath(input))) throw new TargetError(`${target} is the input ${input}; write the output to another file`);
  }
  let file = absolute;
  const link = await fs.lstat(absolute).catch((error: unknown) => {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw new TargetError(`cannot write ${target}: ${describeFileError(error)}`);
  });
  if (link?.isSymbolicLink()) {
    const pointee = await fs.stat(absolute).catch(() => undefined);
    if (options.followLinks && (pointee === undefined || pointee.isFile())) file = real;
    else if (!options.replaceSpecial) {
      throw new TargetError(`${target} is a symbolic link to ${await fs.readlink(absolute)}; not replaced (--force replaces the link with a file)`);
    }
  } else if (link !== undefined && !link.isFile()) {
    if (link.isDirectory() || !options.replaceSpecial)
      throw new TargetError(`${target} is ${kindOf(link)}; not replaced${link.isDirectory() ? '' : ' (--force replaces it with a file)'}`);
  }
  const folder = path.dirname(file);
  try {
    if (!(await fs.stat(folder)).isDirectory()) throw new TargetError(`cannot write ${target}: ${folder} is not a folder`);
    await fs.access(folder, fs.constants.W_OK);
  } catch (error) {
    if (error instanceof TargetError) throw error;
    throw new TargetError(
      `cannot write ${target}: ${errorCode(error) === 'ENOENT' ? `the folder ${folder} does not exist` : `${describeFileError(error)} in ${folder}`}`,
    );
  }
  return file;
}
