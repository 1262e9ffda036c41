import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { atomicWrite } from '../files/atomicWrite';
import { GITATTRIBUTES_LINE, installMergeDriver } from '../merge/gitDriver';
import { mergeDatasets } from '../merge/mergeDatasets';
import { printErr, printOut } from './terminal';
import { UsageError } from './usage';

/** Registers the driver in the repository at `folder`: this CLI, by absolute path, run by this Node.js. */
function install(folder: string): void {
  const cli = process.argv[1] ? path.resolve(process.argv[1]) : 'cot-studio';
  const { repository, command } = installMergeDriver(folder, { runtime: process.execPath, cli });
  printOut(`installed in ${repository}: git config merge.cot-studio.driver ${command}\n${GITATTRIBUTES_LINE} in .gitattributes\n`);
}

/**
 * `cot-studio merge-driver BASE OURS THEIRS` (git's %O %A %B): merges JSONL datasets record by record into OURS, as
 * git expects of a merge driver; exits 0 when everything merged, 1 when conflicts were kept in records' annotation
 * blocks (git then lists the file as conflicted). `--install [DIR]` registers it in the repository at DIR.
 */
export async function mergeDriver(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { install: { type: 'boolean', default: false } }, allowPositionals: true, strict: true });
  if (values.install) {
    if (positionals.length > 1) throw new UsageError('--install takes one repository folder, or none for the current one');
    install(path.resolve(positionals[0] ?? '.'));
    return 0;
  }
  const [base, ours, theirs, extra] = positionals;
  if (base === undefined || ours === undefined || theirs === undefined || extra !== undefined)
    throw new UsageError('give BASE OURS THEIRS (git passes %O %A %B)');
  const read = (file: string) => fs.readFileSync(file, 'utf8');
  const merged = mergeDatasets(read(base), read(ours), read(theirs));
  await atomicWrite(ours, [Buffer.from(merged.text)]);
  if (merged.conflicts === 0) return 0;
  printErr(`${ours}: ${merged.conflicts} conflicts kept in the records' annotation blocks ("conflicts"), to adjudicate\n`);
  return 1;
}
