import * as os from 'node:os';
import { LocalEngine } from '../../engine/localEngine';
import { readModelFolder } from '../../engine/model/folder';
import { ModelTokenizer } from '../../engine/model/tokenizer';
import type { ExecutionProvider } from '../../protocol';
import { gcExposed } from '../timing';
import { BareLoop } from './bareLoop';
import { measureBatch } from './batch';
import { measureDecode } from './decode';
import { measureMemory } from './memory';
import { type BenchModel, BUILT_MODELS, benchImage, builtModel, modelFileBytes, userModel } from './models';
import { measureMonteCarlo } from './monteCarlo';
import { measurePrefixHit } from './prefix';
import { benchPrompt, EXTENSION_TOKENS, PROMPT_TOKENS } from './prompt';
import { measureGrammar } from './grammar';
import { measureRegenerate } from './regenerate';
import { measureTreeSearch } from './treeSearch';
import { type EngineBenchResult, engineBenchResultSchema, type EngineModelResult, type EngineRow } from './result';
import type { Subject } from './subject';
import { measureTransformers } from './versusTransformers';
import { measureVisionEncode } from './visionEncode';

export { type EngineBenchResult, engineBenchResultSchema, engineMeasureIdSchema, formatEngineBench } from './result';

export interface EngineBenchOptions {
  provider: ExecutionProvider;
  /** Fewer tokens and rounds, for a check that the bench runs rather than for figures. */
  quick: boolean;
  /** A model folder to bench instead of the models the bench builds. */
  modelDir: string | undefined;
  log(message: string): void;
}

const REPEATS = 5;
const QUICK_REPEATS = 1;

/** What the result says about the model itself, as the loaded engine read it. */
function describeModel(model: BenchModel, engine: LocalEngine, fileBytes: number) {
  const { shape, folder } = engine;
  return {
    name: model.name,
    dir: model.dir,
    source: model.source,
    file: folder.modelFile,
    fileBytes,
    parameters: model.parameters,
    layers: shape.layers,
    hidden: folder.config.hidden_size,
    heads: folder.config.num_attention_heads,
    kvHeads: shape.kvHeads,
    headDim: shape.headDim,
    vocab: folder.config.vocab_size,
    kvType: shape.kvType,
    generatedTokens: model.tokens,
  };
}

/**
 * Every measure on one model. Memory comes first, when asked for, so that no other session of the model is
 * in the process yet; the table lists it last.
 */
async function benchModel(model: BenchModel, options: EngineBenchOptions, repeats: number, withMemory: boolean): Promise<EngineModelResult> {
  const { provider } = options;
  const log = (message: string) => options.log(`${model.name}: ${message}`);
  const folder = readModelFolder(model.dir);
  const tokenizer = new ModelTokenizer(folder);
  const prompt = benchPrompt(tokenizer, PROMPT_TOKENS);
  const fileBytes = modelFileBytes(folder.modelFile);
  const memory: EngineRow[] = [];
  if (withMemory) {
    log('memory');
    memory.push(await measureMemory(model, provider, prompt, fileBytes));
  }

  const engine = await LocalEngine.load(model.dir, { provider, prefixCacheBytes: 0 });
  const rows: EngineRow[] = [];
  const skipped: EngineModelResult['skipped'] = [];
  let matchesBareLoop: boolean;
  let matchesTransformers: boolean | undefined;
  const images = folder.vision ? [benchImage()] : [];
  const subject: Subject = { name: model.name, engine, prompt, tokens: model.tokens, images, repeats, log };
  try {
    log('decode against the bare loop');
    const bare = await BareLoop.load(engine.folder, provider);
    try {
      const decode = await measureDecode(subject, bare);
      rows.push(decode.row);
      matchesBareLoop = decode.matches;
    } finally {
      await bare.release();
    }
    log('batched candidates');
    rows.push(...(await measureBatch(subject)));
    log('prefix-cache hit');
    rows.push(await measurePrefixHit(subject, provider, benchPrompt(tokenizer, PROMPT_TOKENS + EXTENSION_TOKENS)));
    if (model.regenerate) {
      log('regenerate by beam search');
      const regenerate = await measureRegenerate(subject, provider);
      rows.push(...regenerate.rows);
      skipped.push(...regenerate.skipped);
      log('candidates under the segment grammar');
      rows.push(...(await measureGrammar(subject)));
      log('tree search');
      rows.push(...(await measureTreeSearch(subject, provider)).rows);
      log('Monte Carlo step scores');
      rows.push(...(await measureMonteCarlo(subject, provider)));
    }
    log('transformers.js');
    const versus: Awaited<ReturnType<typeof measureTransformers>> = folder.vision
      ? { skipped: 'a vision-language model is checked token for token against transformers.js by test/unit/visionEngine.test.ts' }
      : await measureTransformers(subject, provider);
    if (folder.vision) {
      log('image encoding against transformers.js');
      rows.push(await measureVisionEncode(subject, provider));
    }
    if ('skipped' in versus) {
      log(versus.skipped);
      skipped.push({ id: 'transformers', reason: versus.skipped });
    } else {
      rows.push(versus.row);
      matchesTransformers = versus.matches;
    }
  } finally {
    await engine.dispose();
  }
  return {
    ...describeModel(model, engine, fileBytes),
    promptTokens: prompt.ids.length,
    matchesBareLoop,
    matchesTransformers,
    rows: [...rows, ...memory],
    skipped,
  };
}

/**
 * The generation engine against baselines measured in the same run: on the tiny, bigram and realistic models
 * the bench builds (kept in the temp folder between runs), or on the user's model folder. The memory figure is
 * taken on the last, largest model.
 */
export async function runEngineBench(options: EngineBenchOptions): Promise<EngineBenchResult> {
  const models =
    options.modelDir === undefined ? BUILT_MODELS.map((spec) => builtModel(spec, options.quick, options.log)) : [userModel(options.modelDir, options.quick)];
  const repeats = options.quick ? QUICK_REPEATS : REPEATS;
  const results: EngineModelResult[] = [];
  for (const [index, model] of models.entries()) results.push(await benchModel(model, options, repeats, index === models.length - 1));
  const cpus = os.cpus();
  return engineBenchResultSchema.parse({
    provider: options.provider,
    machine: { platform: os.platform(), arch: os.arch(), cores: cpus.length, cpu: cpus[0]?.model.trim() ?? 'unknown', memoryBytes: os.totalmem() },
    node: process.version,
    gcExposed,
    quick: options.quick,
    repeats,
    models: results,
  });
}
