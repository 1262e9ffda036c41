import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { lineBlocks } from '../files/lineBlocks';
import { type CliRun, convertThereAndBack, runCli, writePeakProbe } from './convert';
import { generateDataset } from './generate';
import { megabytesPerSecond, parseLines } from './measure';
import { benchFileSchema, benchRow, benchRowFields, fileLine, formatTable, megabytes, type Row } from './report';
import { medianMs } from './timing';

/** The peak RSS that `export` and `convert` stay under, whatever the size of the file. */
export const PEAK_RSS_BOUND_MB = 300;

/** The bare read is quick next to the commands: three runs give a median; each command runs once. */
const READ_REPEATS = 3;
const READ_BYTES = 1 << 20;
const EXPORT_FORMATS = ['trl-sft', 'trl-dpo'] as const;

export const streamMeasureIdSchema = z.enum(['export-trl-sft', 'export-trl-dpo', 'convert-to-parquet', 'convert-to-jsonl', 'peak-rss']);
type StreamMeasureId = z.infer<typeof streamMeasureIdSchema>;
const streamRowSchema = z.object({ id: streamMeasureIdSchema, ...benchRowFields });

/** What the streaming bench adds to `cot-studio bench --json`. */
export const streamBenchResultSchema = z.object({ file: benchFileSchema, node: z.string(), rows: z.array(streamRowSchema) });
export type StreamBenchResult = z.infer<typeof streamBenchResultSchema>;

export interface StreamBenchOptions {
  records: number;
  /** The sample datasets (with their images) whose records the generated file repeats. */
  fixturesDir: string;
  /** Leave the generated file and the conversions in place for a look afterwards (exports are removed as they go). */
  keep: boolean;
  /** The `cot-studio` script, run in child processes as a user runs it. */
  cli: string;
  log(message: string): void;
}

/** The bare streamed pass: read the file a megabyte at a time and parse every line, one block in memory. */
export async function readEveryLine(file: string): Promise<number> {
  let records = 0;
  for await (const block of lineBlocks(fs.createReadStream(file, { highWaterMark: READ_BYTES }))) records += parseLines(block);
  return records;
}

/** Fails the bench unless the command said it wrote what the file holds: a refused record would be timed as no work. */
function expectSummary(run: CliRun, summary: string, command: string): void {
  if (!run.stdout.startsWith(summary)) throw new Error(`${command} printed "${run.stdout.trim()}", not "${summary} ..."`);
}

/**
 * `cot-studio export` (an SFT and a preference format) and `convert` there and back, each once in a child
 * process on a generated file of short preference records, against a streamed read + JSON.parse of every
 * line of the same file in this process; and the largest peak RSS of the four against the bound.
 */
export async function runStreamBench(options: StreamBenchOptions): Promise<StreamBenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-stream-bench-'));
  try {
    options.log(`writing ${options.records} short records to ${dir}`);
    const { file, records, bytes } = generateDataset(options.fixturesDir, options.records, dir, 'short');
    options.log('streamed read');
    const bareMs = await medianMs(READ_REPEATS, () => readEveryLine(file));
    const probe = writePeakProbe(dir);
    const runs: { id: StreamMeasureId; measure: string; run: CliRun; note: string }[] = [];
    for (const format of EXPORT_FORMATS) {
      options.log(`export --format ${format}`);
      const output = path.join(dir, `${format}.jsonl`);
      const run = await runCli(options.cli, probe, ['export', file, '--format', format, '-o', output]);
      fs.rmSync(output);
      expectSummary(run, `${records} ${format} lines written`, `export --format ${format}`);
      runs.push({ id: `export-${format}`, measure: `export --format ${format}`, run, note: '' });
    }
    options.log('convert');
    const { there, back, parquetBytes } = await convertThereAndBack(file, options.cli, probe);
    expectSummary(there, `${records} records written`, 'convert to Parquet');
    expectSummary(back, `${records} records written`, 'convert to JSONL');
    runs.push(
      { id: 'convert-to-parquet', measure: 'convert: JSONL -> Parquet', run: there, note: `; Parquet ${megabytes(parquetBytes)}` },
      { id: 'convert-to-jsonl', measure: 'convert: Parquet -> JSONL', run: back, note: '' },
    );
    const rows: Row<StreamMeasureId>[] = runs.map(({ id, measure, run, note }) =>
      benchRow(
        id,
        measure,
        'ms',
        run.ms,
        bareMs,
        'streamed read + JSON.parse every line',
        `${megabytesPerSecond(bytes, run.ms)}; peak RSS ${megabytes(run.peakRss)}${note}`,
      ),
    );
    const largest = runs.reduce((top, entry) => (entry.run.peakRss > top.run.peakRss ? entry : top));
    rows.push(benchRow('peak-rss', 'peak RSS, largest of the runs', 'MB', largest.run.peakRss / 1e6, PEAK_RSS_BOUND_MB, 'bound', largest.measure));
    return streamBenchResultSchema.parse({
      file: { path: file, records, bytes, meanLineBytes: bytes / records, kept: options.keep },
      node: process.version,
      rows,
    });
  } finally {
    if (!options.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatStreamBench(result: StreamBenchResult): string {
  const header = [fileLine(result.file, 'short preference records'), `each command runs once in a child process, as a user runs it; node ${result.node}`];
  return formatTable(header, result.rows);
}
