import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { bigFileBenchResultSchema } from './bigFile';
import { engineBenchResultSchema } from './engine';
import { generateDataset } from './generate';
import { measureDataset } from './measure';
import { type BenchResult, benchResultSchema } from './report';
import { streamBenchResultSchema } from './stream';
import { gcExposed } from './timing';

export { type BigFileBenchResult, bigFileBenchResultSchema, bigFileMeasureIdSchema, formatBigFileBench, MIN_BIG_RECORDS, runBigFileBench } from './bigFile';
export { MIN_RECORDS } from './measure';
export { openTimingSchema, timeOpen } from './openTiming';
export { type EngineBenchOptions, type EngineBenchResult, engineBenchResultSchema, engineMeasureIdSchema, formatEngineBench, runEngineBench } from './engine';
export { type BenchResult, benchResultSchema, formatBench, measureIdSchema } from './report';
export { formatStreamBench, PEAK_RSS_BOUND_MB, runStreamBench, type StreamBenchResult, streamBenchResultSchema, streamMeasureIdSchema } from './stream';

/** What `cot-studio bench --json` prints and `--out` writes: the parts that ran (`--only` runs one). */
export const benchOutputSchema = z.object({
  dataset: benchResultSchema.optional(),
  stream: streamBenchResultSchema.optional(),
  engine: engineBenchResultSchema.optional(),
  bigfile: bigFileBenchResultSchema.optional(),
});
export type BenchOutput = z.infer<typeof benchOutputSchema>;

export interface BenchOptions {
  records: number;
  /** The sample datasets (with their images) whose records the generated file repeats. */
  fixturesDir: string;
  /** Leave the generated file and the saved copies in place for a look afterwards. */
  keep: boolean;
  /** The `cot-studio` script, which the convert measure runs in child processes. */
  cli: string;
  log(message: string): void;
}

/** Writes a dataset of `records` records to a fresh temporary folder and measures the dataset model on it. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-bench-'));
  try {
    options.log(`writing ${options.records} records to ${dir}`);
    const generated = generateDataset(options.fixturesDir, options.records, dir);
    const rows = await measureDataset(generated.file, options.cli, options.log);
    return benchResultSchema.parse({
      file: {
        path: generated.file,
        records: generated.records,
        bytes: generated.bytes,
        meanLineBytes: generated.bytes / generated.records,
        kept: options.keep,
      },
      node: process.version,
      gcExposed,
      rows,
    });
  } finally {
    if (!options.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}
