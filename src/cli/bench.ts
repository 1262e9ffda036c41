import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import {
  type BenchOutput,
  benchOutputSchema,
  formatBench,
  formatBigFileBench,
  formatEngineBench,
  formatStreamBench,
  MIN_BIG_RECORDS,
  MIN_RECORDS,
  runBench,
  runBigFileBench,
  runEngineBench,
  runStreamBench,
  timeOpen,
} from '../bench';
import { executionProviderSchema } from '../protocol';
import { parseOptions } from './modelOptions';
import { UsageError } from './usage';
import { printErr, printOut } from './terminal';

const DEFAULT_RECORDS = 100_000;
/** Export and convert are measured on a million records: a file whole in memory would show in their peak RSS. */
const DEFAULT_STREAM_RECORDS = 1_000_000;
/** About 9 GB of the dataset bench's records: a file over every limit a whole-file read has. */
const DEFAULT_BIG_RECORDS = 5_000_000;

const benchSchema = z.enum(['dataset', 'stream', 'engine', 'bigfile'], { error: '--only must be dataset, stream, engine or bigfile' });
type Bench = z.infer<typeof benchSchema>;

const benchOptionsSchema = z.object({
  only: benchSchema.optional(),
  provider: z.enum(executionProviderSchema.options, { error: '--provider must be cpu, cuda or webgpu' }).default('cpu'),
});

/** The benches each option applies to: naming one with `--only` set to another bench is a mistake. */
type BenchOption = 'records' | 'stream-records' | 'big-records' | 'keep' | 'engine-model' | 'provider' | 'quick';
const OPTION_BENCHES: Record<BenchOption, readonly Bench[]> = {
  // The big-file bench compares its first page with that of a file of `--records` records.
  records: ['dataset', 'bigfile'],
  'stream-records': ['stream'],
  'big-records': ['bigfile'],
  keep: ['dataset', 'stream', 'bigfile'],
  'engine-model': ['engine'],
  provider: ['engine'],
  quick: ['engine'],
};

/** A `--records` count: a whole number of at least `least`. */
function recordCount(option: string, value: string | undefined, fallback: number, least: number): number {
  const records = value === undefined ? fallback : Number(value);
  if (!Number.isSafeInteger(records) || records < least) throw new UsageError(`--${option} must be a whole number of at least ${least}`);
  return records;
}

/**
 * `cot-studio bench [--only dataset|stream|engine|bigfile] [--json] [--out FILE] [--records N] [--stream-records N]
 * [--big-records N] [--keep] [--engine-model DIR] [--provider cpu|cuda|webgpu] [--quick]`: the dataset model, export
 * and convert on a large file, the generation engine, and (only when named) the dataset model and the CLI on a
 * file of gigabytes, against bare baselines. `cot-studio bench --open FILE` prints as JSON how long FILE takes to
 * open and show its first page, which the big-file bench runs in child processes.
 */
export async function bench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: 'boolean', default: false },
      records: { type: 'string' },
      'stream-records': { type: 'string' },
      'big-records': { type: 'string' },
      open: { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      only: { type: 'string' },
      'engine-model': { type: 'string' },
      provider: { type: 'string' },
      quick: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.open !== undefined) {
    const alongside = Object.keys(values).find((name) => name !== 'open' && values[name as keyof typeof values] !== false);
    if (alongside !== undefined) throw new UsageError(`--open FILE takes no other option, not --${alongside}`);
    printOut(`${JSON.stringify(await timeOpen(values.open))}\n`);
    return 0;
  }
  const options = parseOptions(benchOptionsSchema, values);
  const given: Record<BenchOption, boolean> = {
    records: values.records !== undefined,
    'stream-records': values['stream-records'] !== undefined,
    'big-records': values['big-records'] !== undefined,
    keep: values.keep,
    'engine-model': values['engine-model'] !== undefined,
    provider: values.provider !== undefined,
    quick: values.quick,
  };
  const only = options.only;
  const misplaced =
    only === undefined ? undefined : (Object.keys(OPTION_BENCHES) as BenchOption[]).find((name) => given[name] && !OPTION_BENCHES[name].includes(only));
  if (misplaced !== undefined) throw new UsageError(`--${misplaced} does not apply to the ${only} bench`);
  const records = recordCount('records', values.records, DEFAULT_RECORDS, MIN_RECORDS);
  const streamRecords = recordCount('stream-records', values['stream-records'], DEFAULT_STREAM_RECORDS, 1);
  const bigRecords = recordCount('big-records', values['big-records'], DEFAULT_BIG_RECORDS, MIN_BIG_RECORDS);
  // The big-file bench writes gigabytes and takes minutes: it runs only when named.
  const runs = (bench: Bench): boolean => (only === undefined ? bench !== 'bigfile' : only === bench);
  const log = (message: string) => printErr(`bench: ${message}\n`);
  const output: BenchOutput = {};
  const printed: string[] = [];
  // The benches build their files from the repository's sample datasets; the bundle runs from dist/.
  const fixturesDir = path.resolve(__dirname, '..', 'test', 'fixtures', 'datasets');
  if ((runs('dataset') || runs('stream') || runs('bigfile')) && !fs.existsSync(fixturesDir))
    throw new Error(`the bench needs the sample datasets at ${fixturesDir}; run it from a checkout of the repository`);
  if (runs('dataset')) {
    output.dataset = await runBench({ records, fixturesDir, keep: values.keep, cli: __filename, log });
    printed.push(formatBench(output.dataset));
  }
  if (runs('stream')) {
    output.stream = await runStreamBench({
      records: streamRecords,
      fixturesDir,
      keep: values.keep,
      cli: __filename,
      log: (message) => log(`stream ${message}`),
    });
    printed.push(formatStreamBench(output.stream));
  }
  if (runs('engine')) {
    output.engine = await runEngineBench({
      provider: options.provider,
      quick: values.quick,
      modelDir: values['engine-model'],
      log: (message) => log(`engine ${message}`),
    });
    printed.push(formatEngineBench(output.engine));
  }
  if (runs('bigfile')) {
    output.bigfile = await runBigFileBench({
      records: bigRecords,
      referenceRecords: records,
      fixturesDir,
      keep: values.keep,
      cli: __filename,
      log: (message) => log(`bigfile ${message}`),
    });
    printed.push(formatBigFileBench(output.bigfile));
  }
  const json = `${JSON.stringify(benchOutputSchema.parse(output), null, 2)}\n`;
  if (values.out !== undefined) fs.writeFileSync(values.out, json);
  printOut(values.json ? json : `${printed.join('\n\n')}\n`);
  return 0;
}
