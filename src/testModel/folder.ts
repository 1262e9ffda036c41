import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Graph, writeModelFile, type WrittenModel } from '../onnx';
import type { WeightType } from './decoder';
import type { TestModelOptions } from './options';
import type { ModelShape } from './shape';
import { tokenizerConfig, type TokenizerJson } from './tokenizer';
import { ENDOFTEXT_ID, IM_END_ID } from './tokens';

export interface FolderContents {
  options: TestModelOptions;
  shape: ModelShape;
  graph: Graph;
  tokenizer: TokenizerJson;
  externalData: boolean;
  /** Facts recorded under `cot_studio` in config.json. */
  provenance: Record<string, unknown>;
}

/** The ONNX file of a variant, named as transformers.js and the engine look for it. */
const modelFileName = (dtype: WeightType) => (dtype === 'fp32' ? 'model.onnx' : `model_${dtype}.onnx`);

function modelConfig({ options, shape, externalData, provenance }: FolderContents) {
  const file = modelFileName(options.dtype);
  return {
    architectures: ['LlamaForCausalLM'],
    // transformers.js only needs the decoder's inputs and outputs to match a llama export; cot_studio describes the graph.
    model_type: 'llama',
    hidden_size: shape.hidden,
    intermediate_size: shape.intermediate,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    num_key_value_heads: shape.kvHeads,
    head_dim: shape.headDim,
    vocab_size: shape.vocab,
    max_position_embeddings: shape.maxPositions,
    bos_token_id: ENDOFTEXT_ID,
    eos_token_id: IM_END_ID,
    pad_token_id: ENDOFTEXT_ID,
    tie_word_embeddings: false,
    use_cache: true,
    torch_dtype: options.dtype === 'fp16' ? 'float16' : 'float32',
    'transformers.js_config': { dtype: options.dtype, ...(externalData ? { use_external_data_format: { [file]: 1 } } : {}) },
    cot_studio: provenance,
  };
}

const generationConfig = () => ({ bos_token_id: ENDOFTEXT_ID, eos_token_id: [IM_END_ID, ENDOFTEXT_ID], pad_token_id: ENDOFTEXT_ID });

const writeJson = (file: string, value: unknown) => fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);

/** Writes a Hugging Face layout model folder: configs, tokenizer and onnx/model*.onnx (+ _data). */
export function writeFolder(dir: string, contents: FolderContents): WrittenModel {
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  writeJson(path.join(dir, 'config.json'), modelConfig(contents));
  writeJson(path.join(dir, 'generation_config.json'), generationConfig());
  writeJson(path.join(dir, 'tokenizer.json'), contents.tokenizer);
  writeJson(path.join(dir, 'tokenizer_config.json'), tokenizerConfig(contents.tokenizer, contents.shape.maxPositions));
  const modelFile = path.join(dir, 'onnx', modelFileName(contents.options.dtype));
  // A data file left by an earlier external-data build would be mistaken for this model's weights.
  fs.rmSync(`${modelFile}_data`, { force: true });
  return writeModelFile(modelFile, contents.graph, { externalData: contents.externalData });
}
