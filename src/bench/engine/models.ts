import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { makeTestModel, type TestModelOptionsInput, testModelOptionsSchema } from '../../testModel';

/** A model the engine bench runs on, before it is loaded. */
export interface BenchModel {
  name: string;
  dir: string;
  /** Built by this run, found built by an earlier run, or the user's own folder. */
  source: 'built' | 'cached' | 'user';
  /** Known for the models the bench builds; a user's folder does not say. */
  parameters: number | undefined;
  /** Tokens each generation decodes. */
  tokens: number;
  /** Whether the regenerate measures run on it. */
  regenerate: boolean;
}

interface BuiltModelSpec {
  name: string;
  options: TestModelOptionsInput;
  tokens: number;
  quickTokens: number;
  regenerate: boolean;
}

/** The repository's LLaVA-CoT sample dataset; the bundle runs from dist/. */
export const LLAVA_COT_SAMPLES = path.resolve(__dirname, '..', 'test', 'fixtures', 'datasets', 'llava_cot.jsonl');

/** The image a vision-language model is shown in every measure: a sample dataset's bar chart, as a data URI. */
export function benchImage(): string {
  const file = path.join(path.dirname(LLAVA_COT_SAMPLES), 'images', 'bar_chart.png');
  if (!fs.existsSync(file)) throw new Error(`the engine bench reads ${file}; run it from a checkout of the repository`);
  return `data:image/png;base64,${fs.readFileSync(file).toString('base64')}`;
}

/**
 * One model where the engine's per-token overhead dominates, one that writes LLaVA-CoT stages and closes
 * them (so a stage search has winners), one the size of a small real decoder.
 */
export const BUILT_MODELS: readonly BuiltModelSpec[] = [
  // No stage search: its random text closes no stage, and the bigram model shows the small-model figures.
  { name: 'tiny', options: { kind: 'random', layers: 2, hidden: 64, heads: 4, kvHeads: 2, vocab: 512 }, tokens: 64, quickTokens: 16, regenerate: false },
  // LLaVA-CoT samples alone: with the other formats' short strings, end-of-text follows most sentences and
  // candidates seldom reach a closing tag.
  {
    name: 'bigram',
    options: { kind: 'bigram', corpus: [LLAVA_COT_SAMPLES], layers: 2, hidden: 256, heads: 4, kvHeads: 2, vocab: 1024 },
    tokens: 64,
    quickTokens: 16,
    regenerate: true,
  },
  // Vision-language models, one per family: every request shows them the sample bar chart before the prompt
  // (Qwen2-VL: 64 image tokens; SmolVLM: 2 tiles and the global view, 48).
  {
    name: 'qwen2-vl',
    options: { kind: 'qwen2-vl', layers: 2, hidden: 256, heads: 4, kvHeads: 2, vocab: 1024, visionHidden: 64 },
    tokens: 64,
    quickTokens: 16,
    regenerate: false,
  },
  {
    name: 'smolvlm',
    options: { kind: 'smolvlm', layers: 2, hidden: 256, heads: 4, kvHeads: 2, vocab: 1024, visionHidden: 64 },
    tokens: 64,
    quickTokens: 16,
    regenerate: false,
  },
  // 12 query heads share 4 KV heads (grouped-query attention), as in current small decoders.
  {
    name: 'realistic',
    options: { kind: 'random', layers: 12, hidden: 768, heads: 12, kvHeads: 4, vocab: 8192, maxPositions: 2048 },
    tokens: 32,
    quickTokens: 8,
    regenerate: true,
  },
];

/** Tokens decoded on a user's model: the realistic model's counts. */
export const USER_MODEL_TOKENS = { tokens: 32, quickTokens: 8 };

/** Written last into a built folder, so a folder without it is a build that did not finish. */
const MARKER = 'bench-model.json';
const markerSchema = z.object({ parameters: z.number().int().positive() });

/** A sample file the bench reads, or an error that says where it looked. */
export function readSampleFile(file: string): string {
  if (!fs.existsSync(file)) throw new Error(`the engine bench reads ${file}; run it from a checkout of the repository`);
  return fs.readFileSync(file, 'utf8');
}

/**
 * Built models are kept between runs in the temp folder, named by a hash of their full options and of their
 * corpus's contents, so an edited sample dataset gives a new model.
 */
function cacheDir(spec: BuiltModelSpec): string {
  const options = testModelOptionsSchema.parse(spec.options);
  const hash = createHash('sha256').update(JSON.stringify(options));
  for (const file of options.corpus) hash.update(readSampleFile(file));
  return path.join(os.tmpdir(), 'cot-studio-bench-models', `${spec.name}-${hash.digest('hex').slice(0, 16)}`);
}

function readMarker(dir: string): number | undefined {
  try {
    return markerSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'))).parameters;
  } catch {
    return undefined;
  }
}

/** The built model, from the cache when an earlier run left it there, else built now. */
export function builtModel(spec: BuiltModelSpec, quick: boolean, log: (message: string) => void): BenchModel {
  const dir = cacheDir(spec);
  const tokens = quick ? spec.quickTokens : spec.tokens;
  const cached = readMarker(dir);
  const { regenerate } = spec;
  if (cached !== undefined) return { name: spec.name, dir, source: 'cached', parameters: cached, tokens, regenerate };
  log(`building the ${spec.name} model in ${dir}`);
  // Built beside its final place and renamed into it, so a run that stops half way leaves no folder behind.
  const partial = `${dir}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  const { parameters } = makeTestModel(partial, spec.options);
  fs.writeFileSync(path.join(partial, MARKER), JSON.stringify({ parameters }));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(partial, dir);
  return { name: spec.name, dir, source: 'built', parameters, tokens, regenerate };
}

export function userModel(dir: string, quick: boolean): BenchModel {
  const tokens = quick ? USER_MODEL_TOKENS.quickTokens : USER_MODEL_TOKENS.tokens;
  return { name: path.basename(path.resolve(dir)), dir: path.resolve(dir), source: 'user', parameters: undefined, tokens, regenerate: true };
}

/** Bytes of the model file and its external weights (`model.onnx_data`, `model.onnx_data_1`, …). */
export function modelFileBytes(modelFile: string): number {
  const dir = path.dirname(modelFile);
  const name = path.basename(modelFile);
  return fs
    .readdirSync(dir)
    .filter((entry) => entry === name || entry.startsWith(`${name}_data`))
    .reduce((sum, entry) => sum + fs.statSync(path.join(dir, entry)).size, 0);
}
