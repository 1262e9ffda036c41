import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** tmpfs hands out space in pages: free space can be set to a whole number of them. */
export const PAGE = 4096;

/** A small tmpfs of our own, to run writes out of space at a chosen point. */
export interface SmallDisk {
  dir: string;
  /** Fills the disk so that exactly `pages` pages stay free. */
  leaveFree(pages: number): void;
  /** Gives back the space `leaveFree` took. */
  drain(): void;
  unmount(): void;
}

const FILLER = '.filler';

/** Why a tmpfs cannot be mounted here (not root, no mount), or undefined when it can. */
export function smallDiskUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'tmpfs mounts need Linux';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root (CI runs as root)';
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `cannot mount a tmpfs: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

export function mountSmallDisk(bytes: number): SmallDisk {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  const filler = path.join(dir, FILLER);
  const drain = (): void => fs.rmSync(filler, { force: true });
  return {
    dir,
    drain,
    leaveFree(pages) {
      drain();
      const { bavail, bsize } = fs.statfsSync(dir);
      const fill = bavail * bsize - pages * PAGE;
      if (fill < 0) throw new Error(`the disk has only ${bavail} blocks free, fewer than the ${pages} pages asked for`);
      fs.writeFileSync(filler, Buffer.alloc(fill));
      const left = fs.statfsSync(dir);
      if (left.bavail * left.bsize !== pages * PAGE) throw new Error(`${left.bavail} blocks of ${left.bsize} bytes free, not ${pages} pages`);
    },
    unmount() {
      execFileSync('umount', [dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Temporary files of our writes left in a folder (none must stay after a write, failed or not). */
export function leftoverTemporaries(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => /\.cot-studio-.*\.tmp$/.test(name));
}
