import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import type { ExecutionProvider } from '../../protocol';
import { PROVIDER_ORDER, providerFailureReason } from '../status';
import { type ModelConfig, type ModelFolder, ModelFolderError } from './folder';

export type KvType = 'float32' | 'float16';

/** What the decoder graph takes and gives, read from the session's metadata rather than assumed. */
export interface DecoderShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  kvType: KvType;
  logitsType: KvType;
  hasPositionIds: boolean;
  /** Some exports merge the first step and later steps behind a boolean switch. */
  hasUseCacheBranch: boolean;
  /** Some exports compute logits for the last positions only when asked. */
  hasNumLogitsToKeep: boolean;
  /** A vision-language decoder's: the type of the embeddings it takes in place of token ids. */
  embeddingsType?: KvType;
  /** A vision-language decoder's position axes: 1 (token order) or 3 (Qwen2-VL's temporal, height, width). */
  positionAxes?: 1 | 3;
}

/** A decoder takes token ids (a text model) or embeddings (a vision-language model's, with 1-D or 3-D positions). */
export type DecoderInput = 'tokens' | 'embeddings';
/** The folder's decoder graph and the configs that describe it. */
export type DecoderFiles = Pick<ModelFolder, 'dir' | 'modelFile' | 'config'>;

export interface ProviderAttempt {
  name: ExecutionProvider;
  ok: boolean;
  detail: string;
}

const pastName = (layer: number, kind: 'key' | 'value') => `past_key_values.${layer}.${kind}`;
export const presentName = (layer: number, kind: 'key' | 'value') => `present.${layer}.${kind}`;
export { pastName };

function tensorMeta(session: Ort.InferenceSession, name: string, inputs: boolean): Ort.InferenceSession.TensorValueMetadata | undefined {
  const list = inputs ? session.inputMetadata : session.outputMetadata;
  const found = list.find((entry) => entry.name === name);
  return found?.isTensor ? found : undefined;
}

function floatType(type: string, what: string, file: string): KvType {
  if (type === 'float32' || type === 'float16') return type;
  throw new ModelFolderError(`${file}: expected ${what} in float32 or float16, found ${type}`);
}

/**
 * Refuses a size in config.json that the graph contradicts. The graph is what runs; a config that disagrees
 * belongs to another export (or is made up), and a count taken from it could set the engine looping or allocating.
 */
function checkConfig(
  folder: DecoderFiles,
  field: keyof ModelConfig,
  configured: number | undefined,
  graph: number | string | undefined,
  graphSays: string,
): void {
  if (configured === undefined || typeof graph !== 'number' || configured === graph) return;
  throw new ModelFolderError(`${path.join(folder.dir, 'config.json')} says ${field} ${configured} but ${folder.modelFile} has ${graphSays}`);
}

/**
 * Reads layers, KV heads, head size and dtypes from the session's inputs and outputs; config.json only fills
 * in sizes the graph leaves symbolic, and is an error where it disagrees with the graph.
 */
export function readDecoderShape(session: Ort.InferenceSession, folder: DecoderFiles, input: DecoderInput = 'tokens'): DecoderShape {
  const file = folder.modelFile;
  const inputs = new Set(session.inputNames);
  const outputs = new Set(session.outputNames);
  if (input === 'tokens' && inputs.has('inputs_embeds') && !inputs.has('input_ids')) {
    throw new ModelFolderError(`${file}: this is a vision-language decoder taking inputs_embeds; text decoders take input_ids`);
  }
  for (const required of input === 'tokens' ? ['input_ids', 'attention_mask'] : ['inputs_embeds', 'attention_mask', 'position_ids']) {
    if (!inputs.has(required)) {
      throw new ModelFolderError(`${file}: expected a decoder with input '${required}', found inputs ${session.inputNames.join(', ')}`);
    }
  }
  const embeddings = input === 'embeddings' ? tensorMeta(session, 'inputs_embeds', true) : undefined;
  const positionShape = tensorMeta(session, 'position_ids', true)?.shape;
  const positionAxes = positionShape?.length === 2 ? 1 : positionShape?.length === 3 && positionShape[0] === 3 ? 3 : undefined;
  if (input === 'embeddings' && positionAxes === undefined) {
    throw new ModelFolderError(`${file}: expected position_ids [batch, sequence] or, with 3 axes (temporal, height, width), [3, batch, sequence]`);
  }
  // Counted from the graph's own input names, never from config.json.
  let layers = 0;
  while (inputs.has(pastName(layers, 'key'))) layers++;
  if (layers === 0) {
    throw new ModelFolderError(
      `${file}: expected past_key_values.0.key (an export with the KV cache, "with past"), found inputs ${session.inputNames.join(', ')}`,
    );
  }
  for (let layer = 0; layer < layers; layer++) {
    const missing = [
      ...(inputs.has(pastName(layer, 'value')) ? [] : [`input ${pastName(layer, 'value')}`]),
      ...(['key', 'value'] as const).filter((kind) => !outputs.has(presentName(layer, kind))).map((kind) => `output ${presentName(layer, kind)}`),
    ];
    if (missing.length > 0) throw new ModelFolderError(`${file}: has input ${pastName(layer, 'key')} but no ${missing.join(' or ')}`);
  }
  const past = tensorMeta(session, pastName(0, 'key'), true);
  const logits = tensorMeta(session, 'logits', false);
  if (!past) throw new ModelFolderError(`${file}: past_key_values.0.key is not a tensor`);
  if (!logits) throw new ModelFolderError(`${file}: expected an output 'logits', found ${session.outputNames.join(', ')}`);
  const config = folder.config;
  checkConfig(folder, 'num_hidden_layers', config.num_hidden_layers, layers, `${layers} layers of past_key_values`);
  checkConfig(folder, 'num_key_value_heads', config.num_key_value_heads, past.shape[1], `${String(past.shape[1])} heads in past_key_values.0.key`);
  checkConfig(folder, 'head_dim', config.head_dim, past.shape[3], `a head size of ${String(past.shape[3])} in past_key_values.0.key`);
  checkConfig(folder, 'vocab_size', config.vocab_size, logits.shape[2], `${String(logits.shape[2])} logits per position`);
  const dim = (value: number | string | undefined, fallback: number | undefined, what: string): number => {
    if (typeof value === 'number' && value > 0) return value;
    if (fallback !== undefined) return fallback;
    throw new ModelFolderError(`${file}: the ${what} of the KV cache is symbolic and config.json does not give it`);
  };
  const heads = config.num_attention_heads;
  const headDim = config.head_dim ?? (config.hidden_size && heads ? config.hidden_size / heads : undefined);
  return {
    layers,
    kvHeads: dim(past.shape[1], config.num_key_value_heads ?? heads, 'number of heads'),
    headDim: dim(past.shape[3], headDim, 'head size'),
    kvType: floatType(past.type, 'the KV cache', file),
    logitsType: floatType(logits.type, 'logits', file),
    hasPositionIds: inputs.has('position_ids'),
    hasUseCacheBranch: inputs.has('use_cache_branch'),
    hasNumLogitsToKeep: inputs.has('num_logits_to_keep') || inputs.has('logits_to_keep'),
    ...(embeddings ? { embeddingsType: floatType(embeddings.type, 'inputs_embeds', file), positionAxes } : {}),
  };
}

/** What a graph of the model is for: the decoder keeps its KV cache on a GPU; the others hand their output to the CPU. */
export type GraphRole = 'decoder' | 'input';

/**
 * Creates a session for one of the model's graphs on the requested provider, or with `auto` on the first of CUDA,
 * WebGPU and CPU that loads it, each tried explicitly because onnxruntime does not fall back by itself.
 */
export async function createModelSession(
  ort: typeof Ort,
  file: string,
  preference: ExecutionProvider | 'auto',
  role: GraphRole = 'decoder',
): Promise<{ session: Ort.InferenceSession; provider: ExecutionProvider; attempts: ProviderAttempt[] }> {
  const order: readonly ExecutionProvider[] = preference === 'auto' ? PROVIDER_ORDER : [preference];
  const attempts: ProviderAttempt[] = [];
  for (const name of order) {
    try {
      const started = performance.now();
      const session = await ort.InferenceSession.create(file, {
        executionProviders: [name],
        graphOptimizationLevel: 'all',
        // On WebGPU the KV cache stays on the device between steps instead of a round trip per token; the
        // logits are read back to the CPU, where sampling runs, by the forward pass.
        ...(name === 'webgpu' && role === 'decoder' ? { preferredOutputLocation: 'gpu-buffer' as const } : {}),
      });
      attempts.push({ name, ok: true, detail: `loaded in ${(performance.now() - started).toFixed(0)} ms` });
      return { session, provider: name, attempts };
    } catch (error) {
      attempts.push({ name, ok: false, detail: providerFailureReason(name, error) });
    }
  }
  const reasons = attempts.map((attempt) => `${attempt.name}: ${attempt.detail}`).join('; ');
  throw new ModelFolderError(`${file}: no execution provider could load the model (${reasons})`);
}
