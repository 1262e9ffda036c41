import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ImageResolver } from '../dataset/images';
import { atomicWrite } from '../files/atomicWrite';
import { describeFileError, errorCode } from '../files/fileErrors';
import { TargetError } from '../files/writeTarget';

/**
 * Makes the folder images are copied into (with its parents) and checks that it can be written, before any
 * record is read.
 */
export async function prepareCopyFolder(folder: string): Promise<void> {
  try {
    await fs.promises.mkdir(folder, { recursive: true });
    if (!(await fs.promises.stat(folder)).isDirectory()) throw new TargetError(`cannot copy images into ${folder}: it is not a folder`);
    await fs.promises.access(folder, fs.constants.W_OK);
  } catch (error) {
    if (error instanceof TargetError) throw error;
    throw new TargetError(
      `cannot copy images into ${folder}: ${errorCode(error) === 'EEXIST' || errorCode(error) === 'ENOTDIR' ? 'a part of the path is a file' : describeFileError(error)}`,
    );
  }
}

/** What a name in the copy folder holds: nothing, the source's bytes, or something else (kept as it is). */
function holds(candidate: string, source: string): 'nothing' | 'same' | 'other' {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(candidate);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 'nothing';
    throw error;
  }
  // A link or a folder is never written through or over.
  if (!stat.isFile()) return 'other';
  if (fs.realpathSync(candidate) === source) return 'same';
  if (stat.size !== fs.statSync(source).size) return 'other';
  return fs.readFileSync(candidate).equals(fs.readFileSync(source)) ? 'same' : 'other';
}

/**
 * The copies of an export's images in one folder. Each image file gets a name of its own there: its file name,
 * or `NAME-2.EXT`, `NAME-3.EXT`, ... when another image of the export took the name or the folder holds other
 * bytes under it. Nothing in the folder is written over; a file there with the same bytes is used as it is
 * (exporting again copies nothing new), and a file several records name is copied once.
 */
export class ImageCopies {
  /** Each source file (real path) and its copy. */
  private readonly copies = new Map<string, string>();
  private readonly taken = new Set<string>();
  private pending: { image: string; target: string }[] = [];

  constructor(
    private readonly folder: string,
    private readonly resolver: ImageResolver,
  ) {}

  /** The copy of the record's `image`, found at `file`: planned now, written by `write`. */
  place(image: string, file: string): string {
    const source = fs.realpathSync(file);
    const known = this.copies.get(source);
    if (known !== undefined) return known;
    const { name, ext } = path.parse(file);
    for (let count = 1; ; count++) {
      const target = path.join(this.folder, count === 1 ? `${name}${ext}` : `${name}-${count}${ext}`);
      if (this.taken.has(target)) continue;
      const there = holds(target, source);
      if (there === 'other') continue;
      this.taken.add(target);
      this.copies.set(source, target);
      if (there === 'nothing') this.pending.push({ image, target });
      return target;
    }
  }

  /**
   * Writes the planned copies, each through a temporary file renamed into place, with the bytes read and
   * checked again now (the file may have changed since it was found). Returns how many were written.
   */
  async write(): Promise<number> {
    const pending = this.pending;
    this.pending = [];
    for (const { image, target } of pending) {
      const read = this.resolver.read(image);
      if ('problem' in read) throw new Error(`cannot copy image ${image} to ${target}: ${read.problem}`);
      await atomicWrite(target, [read.bytes], { expected: 'missing' });
    }
    return pending.length;
  }
}
