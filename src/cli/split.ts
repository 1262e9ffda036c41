import { randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { atomicWrite } from '../files/atomicWrite';
import { checkWriteTarget } from '../files/writeTarget';
import { splitLines, splitSettingsSchema } from '../merge/split';
import { isParquetPath } from '../parquet/convert';
import { defaultOutput } from './batchOptions';
import { oneFile, readingDatasetFile, STANDARD_INPUT } from './datasetFile';
import { numberOption, parseOptions } from './modelOptions';
import { printOut } from './terminal';
import { UsageError } from './usage';

const NEWLINE = 0x0a;

/** A file's lines as bytes, each without its `\n` (a `\r` before it stays, so CRLF lines are written as they were). */
function byteLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let end = bytes.indexOf(NEWLINE); end !== -1; end = bytes.indexOf(NEWLINE, start)) {
    lines.push(bytes.subarray(start, end));
    start = end + 1;
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

/** Where an annotator's share goes: `STEM.NAME.jsonl` in the dataset's folder or the one given. */
const shareFile = (file: string, name: string, folder = path.dirname(file)): string => defaultOutput(path.join(folder, path.basename(file)), name);

/** Outputs that exist are refused, all before any is written, unless --force. */
async function checkOutputs(file: string, outputs: readonly string[], force: boolean): Promise<void> {
  for (const output of outputs) {
    if (!force && fs.existsSync(output)) throw new UsageError(`${output} exists; --force writes over it`);
    await checkWriteTarget(output, { notSameAs: [file], replaceSpecial: force });
  }
}

/**
 * `cot-studio split FILE --annotators N [--overlap F] [--seed S] [--names A,B,...] [--output-dir DIR] [--force] [--json]`:
 * one file per annotator, each line the dataset's own bytes, records dealt out by a seeded shuffle with a shared part
 * every annotator gets (for `cot-studio agreement`), brought back together by `cot-studio merge`.
 */
export async function split(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      annotators: { type: 'string' },
      overlap: { type: 'string' },
      seed: { type: 'string' },
      names: { type: 'string' },
      'output-dir': { type: 'string' },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const file = oneFile(positionals);
  if (file === STANDARD_INPUT || isParquetPath(file)) throw new UsageError('split reads a JSONL FILE');
  const names = values.names?.split(',').map((name) => name.trim());
  const settings = parseOptions(splitSettingsSchema, {
    annotators: numberOption(values.annotators) ?? names?.length,
    overlap: numberOption(values.overlap),
    seed: numberOption(values.seed) ?? randomInt(0, 2 ** 31),
    names,
  });
  const folder = values['output-dir'];
  if (folder !== undefined && !fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--output-dir ${folder}: not a folder`);
  const lines = byteLines(readingDatasetFile(file, (name) => fs.readFileSync(name)));
  const annotators = settings.names ?? Array.from({ length: settings.annotators }, (_, i) => `annotator${i + 1}`);
  const outputs = annotators.map((name) => shareFile(file, name, folder));
  await checkOutputs(file, outputs, values.force);
  const { shares, shared, notRecords } = splitLines(
    lines.map((line) => line.toString('utf8')),
    settings,
  );
  const newline = Buffer.from('\n');
  for (const [i, share] of shares.entries()) {
    await atomicWrite(
      outputs[i] as string,
      share.map((line) => Buffer.concat([lines[line] as Buffer, newline])),
      { replaceSpecial: values.force },
    );
  }
  const files = shares.map((share, i) => ({
    name: annotators[i] as string,
    file: outputs[i] as string,
    records: share.length - (i === 0 ? notRecords.length : 0),
    shared: shared.size,
  }));
  const records = lines.length - notRecords.length;
  if (values.json) {
    printOut(
      `${JSON.stringify({ file, seed: settings.seed, overlap: settings.overlap, records, shared: shared.size, notRecords: notRecords.length, files }, null, 2)}\n`,
    );
    return 0;
  }
  const summary = [
    `${file}: ${records} records to ${files.length} annotators, ${shared.size} of them to every one (--overlap ${settings.overlap}), seed ${settings.seed}`,
    ...files.map((share) => `  ${share.name}: ${share.records} records (${share.shared} shared) in ${share.file}`),
    ...(notRecords.length === 0
      ? []
      : [`${notRecords.length} ${notRecords.length === 1 ? 'line that is' : 'lines that are'} no record went to ${files[0]?.name}, as written`]),
  ];
  printOut(`${summary.join('\n')}\n`);
  return 0;
}
