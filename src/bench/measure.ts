import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fileCheckContext } from '../dataset/checks';
import { FactTable } from '../dataset/factTable';
import { DEFAULT_REFLECTION_PHRASE, Dataset, LineIndex } from '../dataset';
import { atomicWrite } from '../files/atomicWrite';
import { WORKER_THRESHOLD_BYTES, warmIndexWorker } from '../dataset/indexWorker';
import { applyOperation } from '../dataset/operations';
import { fileStats } from '../dataset/stats';
import { datasetStats } from '../dataset/validate';
import { seededRandom } from '../random';
import { measureConvert } from './convert';
import { type BenchRow, benchRow } from './report';
import { collectGarbage, median, medianMs, micros } from './timing';

const REPEATS = 5;
/** Stats take seconds on a large file: three runs still give a median. */
const STATS_REPEATS = 3;
const PAGE_SIZE = 100;
const SAMPLES = 200;
/** Fewer records leave too few uncached samples to draw and too little work to time. */
export const MIN_RECORDS = PAGE_SIZE + 2 * SAMPLES;

/** The baseline of indexing: find every newline and nothing else. */
function scanNewlines(bytes: Uint8Array): number {
  let lines = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) lines++;
  return lines;
}

/** Dataset.load takes the buffer over (it moves to the index worker), so every run loads a copy of its own. */
const ownCopy = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

export const megabytesPerSecond = (bytes: number, ms: number): string => `${Math.round(bytes / 1e3 / ms)} MB/s`;

const firstIndices = (count: number): number[] => Array.from({ length: count }, (_, index) => index);

/** The baselines parse the text the dataset decodes, decoded here outside every timing. */
function recordTexts(dataset: Dataset, indices: readonly number[]): string[] {
  return indices.map((index) => dataset.lineText(dataset.recordLine(index)));
}

/** Memory held once the file is read and loaded, measured first while the process holds little else. */
async function measureMemory(file: string): Promise<{ dataset: Dataset; rows: BenchRow[] }> {
  collectGarbage();
  const before = process.memoryUsage();
  const dataset = await Dataset.load(path.basename(file), fs.readFileSync(file));
  collectGarbage();
  const after = process.memoryUsage();
  const held = (usage: NodeJS.MemoryUsage): number => usage.heapUsed + usage.arrayBuffers;
  const size = dataset.byteLength / 1e6;
  const rows = [
    benchRow('memory-rss', 'memory: RSS increase after load', 'MB', (after.rss - before.rss) / 1e6, size, 'file size'),
    benchRow(
      'memory-heap',
      'memory: heap + buffers increase',
      'MB',
      (held(after) - held(before)) / 1e6,
      size,
      'file size',
      'the bytes, line index and record table',
    ),
  ];
  return { dataset, rows };
}

/** Load, and load then show the first page, each from bytes already read; the first page parses cold. */
async function measureLoad(name: string, bytes: Uint8Array, firstLines: readonly string[], scanMs: number): Promise<BenchRow[]> {
  const loads: number[] = [];
  const firstPages: number[] = [];
  const pages: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const copy = ownCopy(bytes);
    // The editor starts the worker while it reads the file; the copy above stands for that read.
    warmIndexWorker();
    const start = performance.now();
    const dataset = await Dataset.load(name, copy);
    const loaded = performance.now();
    dataset.page(0, PAGE_SIZE);
    const shown = performance.now();
    loads.push(loaded - start);
    firstPages.push(shown - start);
    pages.push(shown - loaded);
  }
  const parseMs = await medianMs(REPEATS, () => {
    for (const line of firstLines) JSON.parse(line);
  });
  const index = median(loads);
  const where = bytes.length >= WORKER_THRESHOLD_BYTES ? 'on a worker thread started during the read' : 'in process (small file)';
  return [
    benchRow('index', 'index: Dataset.load', 'ms', index, scanMs, 'newline scan', `${megabytesPerSecond(bytes.length, index)}, ${where}`),
    benchRow('first-page', `first page: load + page(0, ${PAGE_SIZE})`, 'ms', median(firstPages), scanMs, 'newline scan'),
    benchRow('page', `page(0, ${PAGE_SIZE}) alone`, 'ms', median(pages), parseMs, `JSON.parse x${firstLines.length}`),
  ];
}

/** `page(i, 1)` of records nobody asked for yet, against parsing the same line. */
function measureNextSample(dataset: Dataset): BenchRow {
  const random = seededRandom(SAMPLES);
  const picked = new Set<number>();
  while (picked.size < SAMPLES) picked.add(PAGE_SIZE + Math.floor(random() * (dataset.recordCount - PAGE_SIZE)));
  const indices = [...picked];
  const lines = recordTexts(dataset, indices);
  // Each sample is timed right before its baseline, so both see the same load on a shared machine.
  const ours: number[] = [];
  const parse: number[] = [];
  indices.forEach((index, sample) => {
    ours.push(micros(() => dataset.page(index, 1)));
    parse.push(micros(() => JSON.parse(lines[sample])));
  });
  return benchRow('next-sample', 'next sample: page(i, 1)', 'µs', median(ours), median(parse), 'JSON.parse x1', `median of ${SAMPLES} uncached records`);
}

/**
 * What a bare pass over the file does: read it, then decode and parse each line. Each line is decoded from
 * the buffer (faster than decoding the whole file to one string and splitting it).
 */
function parseEveryLine(file: string): number {
  return parseLines(fs.readFileSync(file));
}

/** Decodes and parses each non-blank line of whole lines' bytes. */
export function parseLines(bytes: Buffer): number {
  let records = 0;
  for (let start = 0; start < bytes.length; ) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    const line = bytes.toString('utf8', start, end);
    start = end + 1;
    if (line.trim() === '') continue;
    try {
      JSON.parse(line);
    } catch {
      // A line that does not parse costs the same to try.
    }
    records++;
  }
  return records;
}

/**
 * Stats twice: as `cot-studio stats` computes them (the file cut into one range per core, each read, checked
 * and counted on a worker) against a bare read + JSON.parse of every line on one thread; and the checks alone on one thread, on
 * the dataset as the editor holds it, against JSON.parse of the same lines decoded beforehand.
 */
async function measureStats(dataset: Dataset, file: string): Promise<BenchRow[]> {
  let withErrors = 0;
  const command = await medianMs(STATS_REPEATS, async () => {
    withErrors = (await fileStats(file, { imageRoots: [] })).recordsWithErrors;
  });
  const bare = await medianMs(STATS_REPEATS, () => parseEveryLine(file));
  const checks = await medianMs(STATS_REPEATS, () => datasetStats(dataset, fileCheckContext(file, [])));
  const lines = recordTexts(dataset, firstIndices(dataset.recordCount));
  const parse = await medianMs(STATS_REPEATS, () => {
    for (const line of lines) JSON.parse(line);
  });
  const workers = `${os.availableParallelism()} workers`;
  return [
    benchRow(
      'stats',
      'stats: read + check + count',
      'ms',
      command,
      bare,
      'read + JSON.parse every line',
      `target <= 1.5x; ${workers}; ${withErrors} records with errors`,
    ),
    benchRow('stats-checks', 'stats: checks alone, one thread', 'ms', checks, parse, 'JSON.parse every line', 'decoded lines, no read'),
  ];
}

/** Fails the bench unless the saved file is the original with the one edited line replaced. */
function assertOnlyLineChanged(original: Uint8Array, saved: Buffer, line: number, text: string): void {
  const { start, end } = LineIndex.build(original).range(line);
  const expected = Buffer.concat([original.subarray(0, start), Buffer.from(text), original.subarray(end)]);
  if (!expected.equals(saved)) throw new Error(`the saved file differs from the original elsewhere than line ${line + 1}`);
}

/** One real edit, as a reviewer makes it: a review status on the middle record. Gives the line and its new text. */
export function editMiddleRecord(dataset: Dataset): { line: number; text: string } {
  const line = dataset.recordLine(dataset.recordCount >> 1);
  const before = dataset.lineText(line);
  const context = { at: new Date().toISOString(), reflectionPhrase: DEFAULT_REFLECTION_PHRASE };
  const { text } = applyOperation(before, { kind: 'setReviewStatus', line: line + 1, status: 'accepted' }, context);
  if (text === before) throw new Error(`setting a review status left line ${line + 1} as it was`);
  dataset.setLineText(line, text);
  return { line, text };
}

/** Edits timed for the overview after an edit: each a fraction of a millisecond. */
const EDIT_REPEATS = 21;

/**
 * The overview after an edit: the one pass over the records takes back the record's old counts and counts its
 * new text (ours), against counting every record again, which the overview did after each burst of edits.
 */
async function measureOverviewEdit(dataset: Dataset, file: string): Promise<BenchRow> {
  const context = fileCheckContext(file, []);
  const table = new FactTable(
    dataset,
    () => context,
    () => undefined,
  );
  const pass = await medianMs(1, () => table.fill());
  const recount = await medianMs(STATS_REPEATS, () => datasetStats(dataset, context));
  const line = dataset.recordLine(dataset.recordCount >> 1);
  const original = dataset.lineText(line);
  const operation = { at: new Date().toISOString(), reflectionPhrase: DEFAULT_REFLECTION_PHRASE };
  let edits = 0;
  const ours = await medianMs(EDIT_REPEATS, () => {
    const before = dataset.lineText(line);
    const status = edits++ % 2 === 0 ? 'accepted' : 'rejected';
    dataset.setLineText(line, applyOperation(before, { kind: 'setReviewStatus', line: line + 1, status }, operation).text);
    table.update(dataset, [line], new Map([[line, before]]));
  });
  if (!isDeepStrictEqual(table.stats(), datasetStats(dataset, context))) throw new Error('the counts after the edits differ from a recount');
  dataset.setLineText(line, original);
  return benchRow(
    'overview-edit',
    'overview after an edit: take back, count one',
    'ms',
    ours,
    recount,
    'count every record again',
    `median of ${EDIT_REPEATS} edits; the one pass itself ${Math.round(pass)} ms; counts checked against a recount`,
  );
}

/** One real edit, then an atomic save, against a plain copy. */
async function measureSave(dataset: Dataset, file: string, original: Uint8Array): Promise<BenchRow> {
  const { line, text } = editMiddleRecord(dataset);
  const saved = path.join(path.dirname(file), 'saved.jsonl');
  const copied = path.join(path.dirname(file), 'copied.jsonl');
  const ours = await medianMs(REPEATS, () => atomicWrite(saved, dataset.chunks()));
  const copy = await medianMs(REPEATS, () => fs.copyFileSync(file, copied));
  assertOnlyLineChanged(original, fs.readFileSync(saved), line, text);
  return benchRow(
    'save',
    'save after one edit: atomicWrite',
    'ms',
    ours,
    copy,
    'copyFileSync',
    `saved bytes differ only on line ${line + 1}; the save also fsyncs`,
  );
}

/** Every measure on one generated file, in table order; `cli` is the command line the convert measure runs. */
export async function measureDataset(file: string, cli: string, log: (message: string) => void): Promise<BenchRow[]> {
  log('memory');
  const { dataset, rows: memory } = await measureMemory(file);
  log('read and newline scan');
  let bytes: Uint8Array = new Uint8Array();
  const readMs = await medianMs(REPEATS, () => {
    bytes = fs.readFileSync(file);
  });
  const scanMs = await medianMs(REPEATS, () => scanNewlines(bytes));
  const read = benchRow(
    'read',
    'read: fs.readFileSync',
    'ms',
    readMs,
    scanMs,
    'newline scan',
    `${megabytesPerSecond(bytes.length, readMs)} from the page cache`,
  );
  log('load and first page');
  const firstLines = recordTexts(dataset, firstIndices(PAGE_SIZE));
  const load = await measureLoad(path.basename(file), bytes, firstLines, scanMs);
  log('next sample');
  const nextSample = measureNextSample(dataset);
  log('stats');
  const stats = await measureStats(dataset, file);
  log('overview after an edit');
  const overviewEdit = await measureOverviewEdit(dataset, file);
  log('save');
  const save = await measureSave(dataset, file, bytes);
  log('convert');
  const convert = await measureConvert(file, cli, await medianMs(STATS_REPEATS, () => parseEveryLine(file)));
  return [read, ...load, nextSample, ...stats, overviewEdit, save, ...memory, ...convert];
}
