import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The line `.gitattributes` needs for git to merge JSONL datasets with this driver. */
export const GITATTRIBUTES_LINE = '*.jsonl merge=cot-studio';

/** How git is to start the CLI: a Node.js (or, with `electron`, an editor's Electron run as Node) and the CLI's script. */
export interface DriverProgram {
  runtime: string;
  cli: string;
  electron?: boolean;
}

export interface InstalledDriver {
  repository: string;
  command: string;
  /** Whether `.gitattributes` got the line (false: it had it). */
  attributesAdded: boolean;
}

const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** The root of the repository `folder` is in; an error naming the folder when it is in none. */
export function repositoryOf(folder: string): string {
  try {
    return git(folder, 'rev-parse', '--show-toplevel');
  } catch {
    throw new Error(`${folder} is not in a git repository`);
  }
}

/**
 * Registers the driver in the repository that holds `folder`: git config `merge.cot-studio.driver` (the CLI by
 * absolute path, as git runs it through a shell) and the `.gitattributes` line, added once.
 */
export function installMergeDriver(folder: string, program: DriverProgram): InstalledDriver {
  const repository = repositoryOf(folder);
  // An editor's Electron binary is Node.js only with this variable; git passes the merge's three files.
  const runtime = `${program.electron ? 'ELECTRON_RUN_AS_NODE=1 ' : ''}${JSON.stringify(program.runtime)}`;
  const command = `${runtime} ${JSON.stringify(program.cli)} merge-driver %O %A %B`;
  git(repository, 'config', 'merge.cot-studio.name', 'CoT Studio JSONL datasets');
  git(repository, 'config', 'merge.cot-studio.driver', command);
  const attributes = path.join(repository, '.gitattributes');
  const existing = fs.existsSync(attributes) ? fs.readFileSync(attributes, 'utf8') : '';
  const attributesAdded = !existing.split(/\r?\n/).includes(GITATTRIBUTES_LINE);
  if (attributesAdded) fs.writeFileSync(attributes, `${existing}${existing === '' || existing.endsWith('\n') ? '' : '\n'}${GITATTRIBUTES_LINE}\n`);
  return { repository, command, attributesAdded };
}
