import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { makeTestModel, type TestModel, testModelOptionsSchema } from '../testModel';
import { UsageError } from './usage';
import { printOut } from './terminal';

/** Numeric flags and the option each sets. */
const NUMBER_FLAGS = {
  layers: 'layers',
  hidden: 'hidden',
  heads: 'heads',
  'kv-heads': 'kvHeads',
  vocab: 'vocab',
  seed: 'seed',
  'max-positions': 'maxPositions',
  smoothing: 'smoothing',
  'init-std': 'initStd',
  'vision-hidden': 'visionHidden',
  'max-pixels': 'maxPixels',
} as const;

const flagName = (option: PropertyKey | undefined) => `--${String(option ?? 'options').replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;

function numberValue(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${flag} expects a number, got '${text}'`);
  return value;
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function report(model: TestModel): string {
  const { shape, options } = model;
  const files = model.files.flatMap((file) => [file, ...(fs.existsSync(`${file}_data`) ? [`${file}_data`] : [])]);
  const what =
    options.kind === 'qwen2-vl'
      ? `qwen2-vl vision-language model (vision ${options.visionHidden} wide, up to ${options.maxPixels} pixels), ${options.text} text, decoder`
      : options.kind === 'smolvlm'
        ? `smolvlm vision-language model (vision ${options.visionHidden} wide, 64-pixel tiles), ${options.text} text, decoder`
        : `${options.kind} decoder,`;
  return [
    `${path.resolve(model.dir)}: ${what} ${shape.layers} layers, hidden ${shape.hidden}, ${shape.heads} heads (${shape.kvHeads} KV), ` +
      `vocab ${shape.vocab} (${model.learnedTokens} learned, ${model.reservedTokens} reserved), ${options.dtype}`,
    `  parameters  ${model.parameters.toLocaleString('en-US')}`,
    ...files.map((file) => `  ${path.relative(model.dir, file)}  ${formatBytes(fs.statSync(file).size)}`),
  ].join('\n');
}

/** `cot-studio make-test-model DIR --kind random|bigram|qwen2-vl|smolvlm [--corpus FILE]... [shape options]`. */
export async function makeTestModelCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      kind: { type: 'string' },
      text: { type: 'string' },
      corpus: { type: 'string', multiple: true },
      dtype: { type: 'string' },
      'external-data': { type: 'boolean', default: false },
      layers: { type: 'string' },
      hidden: { type: 'string' },
      heads: { type: 'string' },
      'kv-heads': { type: 'string' },
      vocab: { type: 'string' },
      seed: { type: 'string' },
      'max-positions': { type: 'string' },
      smoothing: { type: 'string' },
      'init-std': { type: 'string' },
      'vision-hidden': { type: 'string' },
      'max-pixels': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError(`make-test-model takes one folder, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
  if (values.kind === undefined) throw new UsageError('--kind is required: random, bigram, qwen2-vl or smolvlm');
  for (const file of values.corpus ?? []) {
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UsageError(`cannot read corpus ${file}`);
  }
  const numbers = Object.fromEntries(
    (Object.keys(NUMBER_FLAGS) as (keyof typeof NUMBER_FLAGS)[]).flatMap((flag) => {
      const text = values[flag];
      return text === undefined ? [] : [[NUMBER_FLAGS[flag], numberValue(flag, text)]];
    }),
  );
  const parsed = testModelOptionsSchema.safeParse({
    kind: values.kind,
    ...(values.text === undefined ? {} : { text: values.text }),
    corpus: values.corpus ?? [],
    externalData: values['external-data'],
    ...(values.dtype === undefined ? {} : { dtype: values.dtype }),
    ...numbers,
  });
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((issue) => `${flagName(issue.path[0])}: ${issue.message}`).join('; '));
  printOut(`${report(makeTestModel(positionals[0], parsed.data))}\n`);
  return 0;
}
