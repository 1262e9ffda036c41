import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { formatBench, MIN_RECORDS, runBench } from '../bench';
import { UsageError } from './usage';

const DEFAULT_RECORDS = 100_000;

/** `cot-studio bench [--json] [--records N] [--out FILE] [--keep]`: the dataset model against bare baselines. */
export async function bench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { json: { type: 'boolean', default: false }, records: { type: 'string' }, out: { type: 'string' }, keep: { type: 'boolean', default: false } },
    strict: true,
  });
  const records = values.records === undefined ? DEFAULT_RECORDS : Number(values.records);
  if (!Number.isSafeInteger(records) || records < MIN_RECORDS) throw new UsageError(`--records must be a whole number of at least ${MIN_RECORDS}`);
  // The bench builds its file from the repository's sample datasets; the bundle runs from dist/.
  const fixturesDir = path.resolve(__dirname, '..', 'test', 'fixtures', 'datasets');
  if (!fs.existsSync(fixturesDir)) throw new Error(`the bench needs the sample datasets at ${fixturesDir}; run it from a checkout of the repository`);
  const result = await runBench({ records, fixturesDir, keep: values.keep, log: (message) => process.stderr.write(`bench: ${message}\n`) });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (values.out !== undefined) fs.writeFileSync(values.out, json);
  process.stdout.write(values.json ? json : `${formatBench(result)}\n`);
  return 0;
}
