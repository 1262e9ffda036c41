import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { atomicWrite } from '../files/atomicWrite';
import { mergeDatasets } from '../merge/mergeDatasets';
import { printErr, printOut } from './terminal';
import { UsageError } from './usage';

/** The line `.gitattributes` needs for git to merge JSONL datasets with this driver. */
export const GITATTRIBUTES_LINE = '*.jsonl merge=cot-studio';

/** Registers the driver in a repository: its git config (this CLI, by absolute path) and the `.gitattributes` line. */
function install(repo: string): void {
  const cli = process.argv[1] ? path.resolve(process.argv[1]) : 'cot-studio';
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} merge-driver %O %A %B`;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  git('config', 'merge.cot-studio.name', 'CoT Studio JSONL datasets');
  git('config', 'merge.cot-studio.driver', command);
  const attributes = path.join(repo, '.gitattributes');
  const existing = fs.existsSync(attributes) ? fs.readFileSync(attributes, 'utf8') : '';
  if (!existing.split(/\r?\n/).includes(GITATTRIBUTES_LINE)) {
    fs.writeFileSync(attributes, `${existing}${existing === '' || existing.endsWith('\n') ? '' : '\n'}${GITATTRIBUTES_LINE}\n`);
  }
  printOut(`installed in ${repo}: git config merge.cot-studio.driver ${command}\n${GITATTRIBUTES_LINE} in .gitattributes\n`);
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
