import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { Dataset } from '../dataset';
import { INDEX_CHUNK_BYTES } from '../dataset/indexWorker';
import { atomicWrite } from '../files/atomicWrite';
import { readFully } from '../files/byteSource';
import { seededRandom } from '../random';
import { type CliRun, runCli, writePeakProbe } from './convert';
import { type GeneratedDataset, generateDataset } from './generate';
import { editMiddleRecord, megabytesPerSecond } from './measure';
import { FIRST_PAGE_RECORDS, type OpenTiming, openTimingSchema } from './openTiming';
import { benchFileSchema, benchRow, benchRowFields, fileLine, formatTable, megabytes, type Row } from './report';
import { readEveryLine } from './stream';
import { median, micros } from './timing';

const execute = promisify(execFile);

/** Records sampled for the next-sample measure, spread evenly over the file. */
const SAMPLES = 200;
/** The small file is opened a few times: its first page takes milliseconds, so one run is noise. */
const REFERENCE_OPENS = 3;
/** The peak RSS increase that a command on a file of any size stays under. */
const BIG_FILE_RSS_TARGET_MB = 500;
/** Fewer records leave too few samples far apart. */
export const MIN_BIG_RECORDS = 2 * SAMPLES;

export const bigFileMeasureIdSchema = z.enum(['index', 'first-page', 'next-sample', 'stats', 'stats-rss', 'validate-rss', 'save']);
type BigFileMeasureId = z.infer<typeof bigFileMeasureIdSchema>;
const bigFileRowSchema = z.object({ id: bigFileMeasureIdSchema, ...benchRowFields });

/** What the big-file bench adds to `cot-studio bench --json`: the big file, the small one its first page is compared with, the rows. */
export const bigFileBenchResultSchema = z.object({ file: benchFileSchema, reference: benchFileSchema, node: z.string(), rows: z.array(bigFileRowSchema) });
export type BigFileBenchResult = z.infer<typeof bigFileBenchResultSchema>;

export interface BigFileBenchOptions {
  records: number;
  /** The records of the file whose first page the big file's is compared with. */
  referenceRecords: number;
  /** The sample datasets (with their images) whose records the generated files repeat. */
  fixturesDir: string;
  /** Leave the generated files in place for a look afterwards (the saved and copied files are removed as they go). */
  keep: boolean;
  /** The `cot-studio` script, run in child processes as a user runs it. */
  cli: string;
  log(message: string): void;
}

/** The bare baseline of indexing: read the file from start to end a chunk at a time, as the index does, and nothing else. */
function readInChunks(file: string): number {
  const fd = fs.openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(INDEX_CHUNK_BYTES);
    let total = 0;
    for (let read = -1; read !== 0; total += read) read = readFully(fs.readSync, fd, chunk, chunk.length, total);
    return total;
  } finally {
    fs.closeSync(fd);
  }
}

async function timed<T>(run: () => T | Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await run();
  return { ms: performance.now() - start, value };
}

/** `cot-studio bench --open FILE` in a child process: its timings and its peak RSS. */
async function openInChild(cli: string, probe: string, file: string): Promise<{ timing: OpenTiming; peakRss: number }> {
  const run = await runCli(cli, probe, ['bench', '--open', file]);
  return { timing: openTimingSchema.parse(JSON.parse(run.stdout)), peakRss: run.peakRss };
}

/** A file of its own folder (the generated file is always named alike), with the sample images beside it. */
function generateIn(dir: string, name: string, fixturesDir: string, records: number): GeneratedDataset {
  const folder = path.join(dir, name);
  fs.mkdirSync(folder);
  return generateDataset(fixturesDir, records, folder);
}

/** Fails the bench unless a command's output holds what it says of the whole file: a refused file would be timed as no work. */
function expectOutput(run: CliRun, expected: RegExp, command: string): void {
  if (!expected.test(run.stdout)) throw new Error(`${command} printed "${run.stdout.trim().slice(-500)}", not ${expected}`);
}

/** `page(i, 1)`'s work on records far apart that nobody asked for yet (a positional read and a parse), against parsing the same line. */
function measureNextSample(dataset: Dataset): Row<BigFileMeasureId> {
  const random = seededRandom(SAMPLES);
  const ours: number[] = [];
  const parse: number[] = [];
  for (let sample = 0; sample < SAMPLES; sample++) {
    const index = Math.floor(((sample + random()) * dataset.recordCount) / SAMPLES);
    ours.push(micros(() => dataset.summary(index)));
    // Read after the timing above, so that the line is in the cache and only the parse is timed here.
    const text = dataset.lineText(dataset.recordLine(index));
    parse.push(micros(() => JSON.parse(text)));
  }
  return benchRow(
    'next-sample',
    'next sample: summary(i)',
    'µs',
    median(ours),
    median(parse),
    'JSON.parse x1',
    `median of ${SAMPLES} records 1/${SAMPLES} of the file apart; target < 1000 µs`,
  );
}

/**
 * Fails the bench unless the saved file is the original with the one line replaced: its size, the line and its
 * neighbours, read back through an index of the saved file (as the editor reads a file it saved).
 */
async function expectSavedEdit(saved: string, original: Dataset, line: number, text: string): Promise<void> {
  using reread = await Dataset.open(saved);
  const size = original.byteLength - Buffer.byteLength(original.originalLineText(line)) + Buffer.byteLength(text);
  const differs = reread.byteLength !== size || reread.lineCount !== original.lineCount || reread.lineText(line) !== text;
  const neighbours = [line - 1, line + 1].filter((other) => other >= 0 && other < original.lineCount);
  if (differs || neighbours.some((other) => reread.lineText(other) !== original.originalLineText(other)))
    throw new Error(`the saved file is not the original with line ${line + 1} replaced`);
}

/** Saves and copies are timed this many times each, alternately: the disk's write-back makes single runs noisy. */
const SAVE_REPEATS = 3;

/**
 * One edit in the middle of the big file, saved as the editor saves (the unchanged bytes copied into a temporary
 * file, flushed to disk as it is written, then renamed), against `cp` of the file, and against `cp` followed
 * by `sync` of the copy (a save is durable when it returns; a copy is not until the disk has it). Each run
 * starts after a `sync`, so that no run waits for the last one's write-back; the files are removed as they go.
 */
async function measureSave(dataset: Dataset, file: string, dir: string): Promise<Row<BigFileMeasureId>> {
  const { line, text } = editMiddleRecord(dataset);
  const saved = path.join(dir, 'saved.jsonl');
  const copied = path.join(dir, 'copied.jsonl');
  const times = { save: [] as number[], cp: [] as number[], durable: [] as number[] };
  const settled = async <T>(run: () => Promise<T>) => {
    await execute('sync');
    return timed(run);
  };
  for (let repeat = 0; repeat < SAVE_REPEATS; repeat++) {
    times.save.push((await settled(() => atomicWrite(saved, dataset.chunks()))).ms);
    if (repeat === 0) await expectSavedEdit(saved, dataset, line, text);
    fs.rmSync(saved);
    times.cp.push((await settled(() => execute('cp', [file, copied]))).ms);
    fs.rmSync(copied);
    const copyToDisk = async () => {
      await execute('cp', [file, copied]);
      await execute('sync', [copied]);
    };
    times.durable.push((await settled(copyToDisk)).ms);
    fs.rmSync(copied);
  }
  const [save, cp, durable] = [median(times.save), median(times.cp), median(times.durable)];
  const note = `line ${line + 1} edited; medians of ${SAVE_REPEATS}; the save flushes to disk: ${(save / durable).toFixed(2)}x of cp + sync (${Math.round(durable)} ms); target <= 1.5x`;
  return benchRow('save', 'save after one edit: atomicWrite', 'ms', save, cp, 'cp', note);
}

/** The file is read and opened this many times each, alternately: the first pass over a new file is the noisiest. */
const OPEN_REPEATS = 3;

/** Index throughput against a bare chunked read, and the first page against the small file's, from `Dataset.open` in child processes. */
async function measureOpen(big: GeneratedDataset, reference: GeneratedDataset, cli: string, probe: string): Promise<Row<BigFileMeasureId>[]> {
  const reads: number[] = [];
  const opens: { timing: OpenTiming; peakRss: number }[] = [];
  for (let repeat = 0; repeat < OPEN_REPEATS; repeat++) {
    reads.push((await timed(() => readInChunks(big.file))).ms);
    const opened = await openInChild(cli, probe, big.file);
    if (opened.timing.records !== big.records) throw new Error(`the index holds ${opened.timing.records} of ${big.records} records`);
    opens.push(opened);
  }
  const referencePages: number[] = [];
  for (let run = 0; run < REFERENCE_OPENS; run++) referencePages.push((await openInChild(cli, probe, reference.file)).timing.firstPageMs);
  const [readMs, indexedMs, firstPageMs, openMs] = [
    median(reads),
    median(opens.map((open) => open.timing.indexedMs)),
    median(opens.map((open) => open.timing.firstPageMs)),
    median(opens.map((open) => open.timing.openMs)),
  ];
  const recordsAtOpen = median(opens.map((open) => open.timing.recordsAtOpen));
  const peakRss = Math.max(...opens.map((open) => open.peakRss));
  return [
    benchRow(
      'index',
      'index: the whole file',
      'MB/s',
      big.bytes / 1e3 / indexedMs,
      big.bytes / 1e3 / readMs,
      'chunked read',
      `${Math.round(indexedMs)} ms against ${Math.round(readMs)} ms, medians of ${OPEN_REPEATS}; child peak RSS ${megabytes(peakRss)}; target >= 0.8x`,
    ),
    benchRow(
      'first-page',
      `first page: open + page(0, ${FIRST_PAGE_RECORDS})`,
      'ms',
      firstPageMs,
      median(referencePages),
      `the ${reference.records}-record file`,
      `open ${Math.round(openMs)} ms with ${recordsAtOpen} records indexed; target < 1000 ms and <= 2x`,
    ),
  ];
}

/**
 * `cot-studio stats` against a streamed read + JSON.parse of every line; and the peak RSS of `stats` and
 * `validate` over that of the same command on a one-record file, against the file's size.
 */
async function measureCommands(
  big: GeneratedDataset,
  one: GeneratedDataset,
  cli: string,
  probe: string,
  log: (message: string) => void,
): Promise<Row<BigFileMeasureId>[]> {
  log('streamed read + JSON.parse');
  const bare = await timed(() => readEveryLine(big.file));
  log('stats');
  const stats = await runCli(cli, probe, ['stats', big.file]);
  expectOutput(stats, new RegExp(`: ${big.records} records on \\d+ lines, 0 with errors`), 'cot-studio stats');
  log('validate');
  const validate = await runCli(cli, probe, ['validate', big.file]);
  expectOutput(validate, new RegExp(`^${big.records} records: 0 errors, \\d+ warnings$`, 'm'), 'cot-studio validate');
  const rows: Row<BigFileMeasureId>[] = [
    benchRow(
      'stats',
      'stats: cot-studio stats',
      'ms',
      stats.ms,
      bare.ms,
      'streamed read + JSON.parse every line',
      `${megabytesPerSecond(big.bytes, stats.ms)}; one CLI run; ${os.availableParallelism()} workers; target <= 1.5x`,
    ),
  ];
  for (const [command, run] of [
    ['stats', stats],
    ['validate', validate],
  ] as const) {
    const ofOne = await runCli(cli, probe, [command, one.file]);
    const note = `peak ${megabytes(run.peakRss)} less ${megabytes(ofOne.peakRss)} on a one-record file; ${Math.round(run.ms)} ms; target < ${BIG_FILE_RSS_TARGET_MB} MB`;
    rows.push(benchRow(`${command}-rss`, `${command}: peak RSS increase`, 'MB', (run.peakRss - ofOne.peakRss) / 1e6, big.bytes / 1e6, 'file size', note));
  }
  return rows;
}

/**
 * The dataset model and the CLI on a file far larger than memory holds comfortably, each pass over it once and
 * none holding the file in memory. The save comes last: the files it writes push the big one out of the page cache.
 */
export async function runBigFileBench(options: BigFileBenchOptions): Promise<BigFileBenchResult> {
  const { cli, log } = options;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-bigfile-bench-'));
  try {
    log(`writing ${options.records} records to ${dir}`);
    const big = generateIn(dir, 'big', options.fixturesDir, options.records);
    const reference = generateIn(dir, 'reference', options.fixturesDir, options.referenceRecords);
    const one = generateIn(dir, 'one', options.fixturesDir, 1);
    const probe = writePeakProbe(dir);
    // What was just written goes to disk first: its write-back would otherwise compete with the first passes.
    await execute('sync');
    log('chunked read and open');
    const open = await measureOpen(big, reference, cli, probe);
    const commands = await measureCommands(big, one, cli, probe, log);
    log('next sample');
    using dataset = await Dataset.open(big.file);
    const nextSample = measureNextSample(dataset);
    log('save after one edit, and cp');
    const save = await measureSave(dataset, big.file, dir);
    const described = (generated: GeneratedDataset) => ({
      path: generated.file,
      records: generated.records,
      bytes: generated.bytes,
      meanLineBytes: generated.bytes / generated.records,
      kept: options.keep,
    });
    return bigFileBenchResultSchema.parse({
      file: described(big),
      reference: described(reference),
      node: process.version,
      rows: [...open, nextSample, ...commands, save],
    });
  } finally {
    if (!options.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatBigFileBench(result: BigFileBenchResult): string {
  const header = [
    fileLine(result.file, 'records'),
    `first page compared with ${result.reference.records} records, ${megabytes(result.reference.bytes)}`,
    `each pass over the file runs once; Dataset.open and the commands run in child processes; node ${result.node}`,
  ];
  return formatTable(header, result.rows);
}
