import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { compareAnnotators } from '../agreement/compare';
import { copyNames, copyOf, readLabels } from '../agreement/copies';
import { formatAgreement } from '../agreement/report';
import { formatIdSchema } from '../dataset/record';
import { printErr, printOut } from './terminal';
import { UsageError } from './usage';

/**
 * `cot-studio agreement FILE... [--names A,B,...] [--format F] [--json]`: how much annotators agree, from their copies
 * of one dataset (files, or `FILE@REF` as a git commit holds it), records matched by id or content.
 */
export async function agreement(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { names: { type: 'string' }, format: { type: 'string' }, json: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length < 2) throw new UsageError('give two or more copies of the dataset: FILE or FILE@REF');
  const format = values.format === undefined ? undefined : formatIdSchema.safeParse(values.format);
  if (format && !format.success) throw new UsageError(`--format must be one of ${formatIdSchema.options.join(', ')}`);
  const copies = positionals.map(copyOf);
  const given = values.names?.split(',').map((name) => name.trim());
  if (given && (given.length !== copies.length || given.some((name) => name === '')))
    throw new UsageError(`--names needs ${copies.length} names, one per copy`);
  const fileNames = copies.map((copy) => copy.ref ?? path.basename(copy.file));
  for (const copy of copies) if (!fs.existsSync(copy.file) && copy.ref === undefined) throw new UsageError(`${copy.file}: no such file`);
  const read = await Promise.all(copies.map((copy, i) => readLabels(copy, fileNames[i] as string, format?.data)));
  // Without --names, a copy whose labels all name one annotator is called by that name.
  const names = given ?? copyNames(read, fileNames);
  if (new Set(names).size !== names.length) throw new UsageError('the copies need different names: give --names');
  read.forEach(({ labels }, i) => {
    labels.name = names[i] as string;
  });
  for (const [i, { skipped }] of read.entries()) if (skipped > 0) printErr(`${positionals[i]}: ${skipped} lines are not records and were left out`);
  const report = compareAnnotators(read.map(({ labels }) => labels));
  printOut(`${values.json ? JSON.stringify(report, null, 2) : formatAgreement(report)}\n`);
  return 0;
}
