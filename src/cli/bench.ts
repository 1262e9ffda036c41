import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { type BenchOutput, benchOutputSchema, formatBench, formatEngineBench, MIN_RECORDS, runBench, runEngineBench } from '../bench';
import { executionProviderSchema } from '../protocol';
import { parseOptions } from './modelOptions';
import { UsageError } from './usage';
import { printErr, printOut } from './terminal';

const DEFAULT_RECORDS = 100_000;

const benchOptionsSchema = z.object({
  only: z.enum(['dataset', 'engine'], { error: '--only must be dataset or engine' }).optional(),
  provider: z.enum(executionProviderSchema.options, { error: '--provider must be cpu, cuda or webgpu' }).default('cpu'),
});

/** Options only one of the two benches reads: naming one with `--only` set to the other bench is a mistake. */
const DATASET_ONLY = ['records', 'keep'] as const;
const ENGINE_ONLY = ['engine-model', 'provider', 'quick'] as const;
type BenchOption = (typeof DATASET_ONLY)[number] | (typeof ENGINE_ONLY)[number];

/**
 * `cot-studio bench [--only dataset|engine] [--json] [--out FILE] [--records N] [--keep] [--engine-model DIR]
 * [--provider cpu|cuda|webgpu] [--quick]`: the dataset model and the generation engine against bare baselines.
 */
export async function bench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: 'boolean', default: false },
      records: { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      only: { type: 'string' },
      'engine-model': { type: 'string' },
      provider: { type: 'string' },
      quick: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const options = parseOptions(benchOptionsSchema, values);
  const given: Record<BenchOption, boolean> = {
    records: values.records !== undefined,
    keep: values.keep,
    'engine-model': values['engine-model'] !== undefined,
    provider: values.provider !== undefined,
    quick: values.quick,
  };
  const misplaced = (options.only === 'dataset' ? ENGINE_ONLY : options.only === 'engine' ? DATASET_ONLY : []).find((name) => given[name]);
  if (misplaced !== undefined) throw new UsageError(`--${misplaced} does not apply to the ${options.only} bench`);
  const records = values.records === undefined ? DEFAULT_RECORDS : Number(values.records);
  if (!Number.isSafeInteger(records) || records < MIN_RECORDS) throw new UsageError(`--records must be a whole number of at least ${MIN_RECORDS}`);
  const log = (message: string) => printErr(`bench: ${message}\n`);
  const output: BenchOutput = {};
  const printed: string[] = [];
  if (options.only !== 'engine') {
    // The bench builds its file from the repository's sample datasets; the bundle runs from dist/.
    const fixturesDir = path.resolve(__dirname, '..', 'test', 'fixtures', 'datasets');
    if (!fs.existsSync(fixturesDir)) throw new Error(`the bench needs the sample datasets at ${fixturesDir}; run it from a checkout of the repository`);
    output.dataset = await runBench({ records, fixturesDir, keep: values.keep, cli: __filename, log });
    printed.push(formatBench(output.dataset));
  }
  if (options.only !== 'dataset') {
    output.engine = await runEngineBench({ provider: options.provider, quick: values.quick, modelDir: values['engine-model'], log: (message) => log(`engine ${message}`) });
    printed.push(formatEngineBench(output.engine));
  }
  const json = `${JSON.stringify(benchOutputSchema.parse(output), null, 2)}\n`;
  if (values.out !== undefined) fs.writeFileSync(values.out, json);
  printOut(values.json ? json : `${printed.join('\n\n')}\n`);
  return 0;
}
