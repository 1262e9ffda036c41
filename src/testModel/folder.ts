import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Graph, writeModelFile, type WrittenModel } from '../onnx';
import type { WeightType } from './decoder';
import type { TestModelOptions } from './options';
import type { ModelShape } from './shape';
import { QWEN2_VL_CHAT_TEMPLATE } from './chatTemplate';
import { tokenizerConfig, type TokenizerJson } from './tokenizer';
import { ENDOFTEXT_ID, IM_END_ID, VISION_TOKENS, visionTokenId } from './tokens';
import { QWEN2_VL_PATCH, type VisionShape } from './vision';

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

/** The decoder's sizes and special tokens, as config.json names them. */
const decoderFields = (shape: ModelShape) => ({
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
});

const storageFields = (dtype: WeightType) => ({
  tie_word_embeddings: false,
  use_cache: true,
  torch_dtype: dtype === 'fp16' ? 'float16' : 'float32',
});

function modelConfig({ options, shape, externalData, provenance }: FolderContents) {
  const file = modelFileName(options.dtype);
  return {
    architectures: ['LlamaForCausalLM'],
    // transformers.js only needs the decoder's inputs and outputs to match a llama export; cot_studio describes the graph.
    model_type: 'llama',
    ...decoderFields(shape),
    ...storageFields(options.dtype),
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

/** A Qwen2-VL folder's three graphs, as the onnx-community exports name them. */
export interface VisionLanguageGraphs {
  vision: Graph;
  embed: Graph;
  decoder: Graph;
}

export interface VisionLanguageContents extends Omit<FolderContents, 'graph'> {
  graphs: VisionLanguageGraphs;
  vision: VisionShape;
}

const sessionFile = (session: 'vision_encoder' | 'embed_tokens' | 'decoder_model_merged', dtype: WeightType) =>
  dtype === 'fp32' ? `${session}.onnx` : `${session}_${dtype}.onnx`;

// The CLIP normalisation Qwen2-VL's processor uses.
const IMAGE_MEAN = [0.48145466, 0.4578275, 0.40821073];
const IMAGE_STD = [0.26862954, 0.26130258, 0.27577711];
const MIN_PIXELS = 56 * 56;

function visionLanguageConfig({ options, shape, vision, externalData, provenance }: VisionLanguageContents) {
  const files = (['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const).map((session) => sessionFile(session, options.dtype));
  return {
    architectures: ['Qwen2VLForConditionalGeneration'],
    model_type: 'qwen2_vl',
    ...decoderFields(shape),
    vision_start_token_id: visionTokenId('<|vision_start|>'),
    vision_end_token_id: visionTokenId('<|vision_end|>'),
    image_token_id: visionTokenId('<|image_pad|>'),
    video_token_id: visionTokenId('<|video_pad|>'),
    // The real model rotates each axis's share of a head; this one learns a position table per axis.
    rope_scaling: { type: 'mrope', mrope_section: [shape.headDim / 4, shape.headDim / 8, shape.headDim / 8] },
    vision_config: {
      embed_dim: vision.hidden,
      hidden_size: shape.hidden,
      in_chans: QWEN2_VL_PATCH.channels,
      patch_size: QWEN2_VL_PATCH.patchSize,
      spatial_merge_size: QWEN2_VL_PATCH.mergeSize,
      temporal_patch_size: QWEN2_VL_PATCH.temporalPatchSize,
    },
    ...storageFields(options.dtype),
    'transformers.js_config': {
      dtype: options.dtype,
      ...(externalData ? { use_external_data_format: Object.fromEntries(files.map((file) => [file, 1])) } : {}),
    },
    cot_studio: provenance,
  };
}

/** preprocessor_config.json: Qwen2-VL's image processor, with the largest image this model keeps. */
function preprocessorConfig(maxPixels: number) {
  return {
    image_processor_type: 'Qwen2VLImageProcessor',
    processor_class: 'Qwen2VLProcessor',
    do_convert_rgb: true,
    do_resize: true,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: IMAGE_MEAN,
    image_std: IMAGE_STD,
    // Bicubic, as the public configs say.
    resample: 3,
    min_pixels: MIN_PIXELS,
    max_pixels: maxPixels,
    size: { min_pixels: MIN_PIXELS, max_pixels: maxPixels },
    patch_size: QWEN2_VL_PATCH.patchSize,
    temporal_patch_size: QWEN2_VL_PATCH.temporalPatchSize,
    merge_size: QWEN2_VL_PATCH.mergeSize,
  };
}

/**
 * Writes a Qwen2-VL folder in the onnx-community layout: config.json, generation_config.json,
 * preprocessor_config.json, the tokenizer with the vision tokens and a chat template that places them, and
 * onnx/vision_encoder, embed_tokens and decoder_model_merged (`_fp16` for float16). Returns the decoder's file.
 */
export function writeVisionLanguageFolder(dir: string, contents: VisionLanguageContents): WrittenModel & { files: string[] } {
  const { options } = contents;
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  writeJson(path.join(dir, 'config.json'), visionLanguageConfig(contents));
  writeJson(path.join(dir, 'generation_config.json'), generationConfig());
  writeJson(path.join(dir, 'preprocessor_config.json'), preprocessorConfig(options.maxPixels));
  writeJson(path.join(dir, 'tokenizer.json'), contents.tokenizer);
  const chat = { template: QWEN2_VL_CHAT_TEMPLATE, specialTokens: ['<|im_start|>', '<|im_end|>', ...VISION_TOKENS] };
  writeJson(path.join(dir, 'tokenizer_config.json'), tokenizerConfig(contents.tokenizer, contents.shape.maxPositions, chat));
  const written = (['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const).map((session) => {
    const file = path.join(dir, 'onnx', sessionFile(session, options.dtype));
    fs.rmSync(`${file}_data`, { force: true });
    const graph = session === 'vision_encoder' ? contents.graphs.vision : session === 'embed_tokens' ? contents.graphs.embed : contents.graphs.decoder;
    return writeModelFile(file, graph, { externalData: contents.externalData });
  });
  const decoder = written[2] as WrittenModel;
  return {
    modelFile: decoder.modelFile,
    dataFile: decoder.dataFile,
    bytes: written.reduce((sum, model) => sum + model.bytes, 0),
    files: written.map((model) => model.modelFile),
  };
}
