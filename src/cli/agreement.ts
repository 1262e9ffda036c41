import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { type AgreementFigures, type AgreementReport, type AnnotatorLabels, compareAnnotators } from '../agreement/compare';
import { ANNOTATION_KEY } from '../dataset/annotations';
import { readRecordState } from '../dataset/operations';
import { formatIdSchema, type FormatId } from '../dataset/record';
import { RecordError } from '../dataset/recordEdit';
import { printErr, printOut } from './terminal';
import { UsageError } from './usage';

/** A copy of the dataset: a file, or a file as a git commit holds it (`FILE@REF`). */
interface Copy {
  file: string;
  ref: string | undefined;
}

/** `FILE@REF` names a file at a git ref, unless the whole argument is a file that exists. */
function copyOf(argument: string): Copy {
  const at = argument.lastIndexOf('@');
  if (fs.existsSync(argument) || at <= 0) return { file: argument, ref: undefined };
  return { file: argument.slice(0, at), ref: argument.slice(at + 1) };
}

/** The copy's lines: the file read as it streams, or `git show REF:FILE` in the file's folder. */
function linesOf(copy: Copy): { lines: AsyncIterable<string>; done: Promise<void> } {
  let input: Readable;
  let done = Promise.resolve();
  if (copy.ref === undefined) {
    input = fs.createReadStream(copy.file);
  } else {
    const git = spawn('git', ['show', `${copy.ref}:./${path.basename(copy.file)}`], { cwd: path.dirname(path.resolve(copy.file)) });
    let stderr = '';
    git.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    done = new Promise((resolve, reject) => {
      git.on('error', reject);
      git.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${copy.file}@${copy.ref}: ${stderr.trim() || `git show exited with ${code}`}`))));
    });
    input = git.stdout;
  }
  return { lines: readline.createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY }), done };
}

/** A record's key across copies: its `id`, else a hash of the record without its annotations. */
function recordKey(record: Record<string, unknown>): string {
  const id = record.id;
  if (typeof id === 'string' || typeof id === 'number') return `id:${id}`;
  const { [ANNOTATION_KEY]: _, ...content } = record;
  return `sha256:${createHash('sha256').update(JSON.stringify(content)).digest('hex')}`;
}

/** One copy's labels: each record's step ratings (a person's, not the record's own) and review status. */
async function readLabels(copy: Copy, name: string, format: FormatId | undefined): Promise<{ labels: AnnotatorLabels; skipped: number }> {
  const labels: AnnotatorLabels = { name, records: new Map() };
  let skipped = 0;
  const { lines, done } = linesOf(copy);
  const reading = (async () => {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      try {
        const record = JSON.parse(line) as Record<string, unknown>;
        const { annotations } = readRecordState(line, format);
        const steps = new Map<string, number>();
        for (const [key, segment] of Object.entries(annotations.segments)) if (segment.rating !== null) steps.set(key, segment.rating);
        const { status } = annotations.review;
        labels.records.set(recordKey(record), { steps, review: status === 'unreviewed' ? null : status });
      } catch (error) {
        if (!(error instanceof SyntaxError || error instanceof RecordError)) throw error;
        skipped++;
      }
    }
  })();
  await Promise.all([reading, done]);
  return { labels, skipped };
}

const share = (value: number | null): string => (value === null ? 'n/a' : value.toFixed(3));

function figuresLine(title: string, figures: AgreementFigures): string {
  return `${title}: ${figures.items} items, ${figures.labels} labels; agreement ${share(figures.percentAgreement)}, Cohen's kappa ${share(
    figures.cohenKappa,
  )}, Fleiss' kappa ${share(figures.fleissKappa)}, Krippendorff's alpha ${share(figures.krippendorffAlpha)}`;
}

export function formatAgreement(report: AgreementReport): string {
  return [
    `records: ${report.records.matched} in two or more copies, ${report.records.inOneOnly} in one only`,
    figuresLine('steps (alpha ordinal)', report.steps),
    figuresLine('review status (nominal)', report.review),
    ...report.annotators.map(
      (annotator) =>
        `  ${annotator.name}: ${annotator.records} records, ${annotator.steps} steps rated, ${annotator.reviews} reviewed; agrees with the others on ${share(
          annotator.stepAgreementWithOthers,
        )} of shared steps`,
    ),
    'steps by position:',
    ...report.byPosition.map((row) => `  ${row.position}: ${row.items} items, agreement ${share(row.percentAgreement)}, alpha ${share(row.krippendorffAlpha)}`),
    ...report.pairs.map((pair) => `  Cohen's kappa ${pair.annotators[0]} / ${pair.annotators[1]}: ${share(pair.cohenKappa)} over ${pair.items} steps`),
  ].join('\n');
}

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
  const names = values.names?.split(',').map((name) => name.trim()) ?? copies.map((copy) => copy.ref ?? path.basename(copy.file));
  if (names.length !== copies.length || names.some((name) => name === '')) throw new UsageError(`--names needs ${copies.length} names, one per copy`);
  if (new Set(names).size !== names.length) throw new UsageError('the copies need different names: give --names');
  for (const copy of copies) if (!fs.existsSync(copy.file) && copy.ref === undefined) throw new UsageError(`${copy.file}: no such file`);
  const read = await Promise.all(copies.map((copy, i) => readLabels(copy, names[i] as string, format?.data)));
  for (const [i, { skipped }] of read.entries()) if (skipped > 0) printErr(`${positionals[i]}: ${skipped} lines are not records and were left out`);
  const report = compareAnnotators(read.map(({ labels }) => labels));
  printOut(`${values.json ? JSON.stringify(report, null, 2) : formatAgreement(report)}\n`);
  return 0;
}
