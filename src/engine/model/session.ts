import type * as Ort from 'onnxruntime-node';
import type { ExecutionProvider } from '../../protocol';
import { PROVIDER_ORDER, providerFailureReason } from '../status';
import { type ModelFolder, ModelFolderError } from './folder';

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
}

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

/** Reads layers, KV heads, head size and dtypes from the session, falling back to config.json for symbolic sizes. */
export function readDecoderShape(session: Ort.InferenceSession, folder: ModelFolder): DecoderShape {
  const file = folder.modelFile;
  const inputs = new Set(session.inputNames);
  for (const required of ['input_ids', 'attention_mask']) {
    if (!inputs.has(required)) {
      throw new ModelFolderError(`${file}: expected a decoder with input '${required}', found inputs ${session.inputNames.join(', ')}`);
    }
  }
  if (inputs.has('inputs_embeds') && !inputs.has('input_ids')) {
    throw new ModelFolderError(`${file}: this is a vision-language decoder taking inputs_embeds; text decoders take input_ids`);
  }
  let layers = 0;
  while (inputs.has(pastName(layers, 'key'))) layers++;
  if (layers === 0) {
    throw new ModelFolderError(`${file}: expected past_key_values.0.key (an export with the KV cache, "with past"), found inputs ${session.inputNames.join(', ')}`);
  }
  const past = tensorMeta(session, pastName(0, 'key'), true);
  const logits = tensorMeta(session, 'logits', false);
  if (!past) throw new ModelFolderError(`${file}: past_key_values.0.key is not a tensor`);
  if (!logits) throw new ModelFolderError(`${file}: expected an output 'logits', found ${session.outputNames.join(', ')}`);
  const config = folder.config;
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
  };
}

/**
 * On WebGPU the KV cache stays on the device between steps instead of a round trip per token; logits come
 * back to the CPU, where sampling runs.
 */
function gpuOutputs(folder: ModelFolder): Ort.InferenceSession.SessionOptions['preferredOutputLocation'] {
  const layers = folder.config.num_hidden_layers;
  if (layers === undefined) return 'gpu-buffer';
  const map: Record<string, Ort.Tensor.DataLocation> = { logits: 'cpu' };
  for (let layer = 0; layer < layers; layer++) {
    map[presentName(layer, 'key')] = 'gpu-buffer';
    map[presentName(layer, 'value')] = 'gpu-buffer';
  }
  return map;
}

/**
 * Creates the session on the requested provider, or with `auto` on the first of CUDA, WebGPU and CPU that
 * loads the model, each tried explicitly because onnxruntime does not fall back by itself.
 */
export async function createDecoderSession(
  ort: typeof Ort,
  folder: ModelFolder,
  preference: ExecutionProvider | 'auto',
): Promise<{ session: Ort.InferenceSession; provider: ExecutionProvider; attempts: ProviderAttempt[] }> {
  const order: readonly ExecutionProvider[] = preference === 'auto' ? PROVIDER_ORDER : [preference];
  const attempts: ProviderAttempt[] = [];
  for (const name of order) {
    try {
      const started = performance.now();
      const session = await ort.InferenceSession.create(folder.modelFile, {
        executionProviders: [name],
        graphOptimizationLevel: 'all',
        ...(name === 'webgpu' ? { preferredOutputLocation: gpuOutputs(folder) } : {}),
      });
      attempts.push({ name, ok: true, detail: `loaded in ${(performance.now() - started).toFixed(0)} ms` });
      return { session, provider: name, attempts };
    } catch (error) {
      attempts.push({ name, ok: false, detail: providerFailureReason(name, error) });
    }
  }
  const reasons = attempts.map((attempt) => `${attempt.name}: ${attempt.detail}`).join('; ');
  throw new ModelFolderError(`${folder.modelFile}: no execution provider could load the model (${reasons})`);
}
