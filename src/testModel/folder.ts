import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Graph, writeModelFile, type WrittenModel } from '../onnx';
import type { WeightType } from './decoder';
import type { TestModelOptions } from './options';
import type { ModelShape } from './shape';
import { QWEN2_VL_CHAT_TEMPLATE, SMOLVLM_CHAT_TEMPLATE } from './chatTemplate';
import { tokenizerConfig, type TokenizerJson } from './tokenizer';
import { ENDOFTEXT_ID, IDEFICS3_TOKENS, IM_END_ID, MIN_VOCAB, tokenId, VISION_TOKENS, visionTokenId } from './tokens';
import { IDEFICS3_TILE, IDEFICS3_TILE_TOKENS, QWEN2_VL_PATCH, type VisionShape } from './vision';

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

/** generation_config.json; a SmolVLM turn also ends at `<end_of_utterance>`. */
const generationConfig = (endOfTurn: number[] = []) => ({
  bos_token_id: ENDOFTEXT_ID,
  eos_token_id: [IM_END_ID, ENDOFTEXT_ID, ...endOfTurn],
  pad_token_id: ENDOFTEXT_ID,
});

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

/** A vision-language folder's three graphs, as the onnx-community exports name them. */
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

/** Which graphs a vision-language export names, and their external weights, as transformers.js reads them. */
function transformersJsConfig({ options, externalData }: VisionLanguageContents) {
  const files = (['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const).map((session) => sessionFile(session, options.dtype));
  return {
    dtype: options.dtype,
    ...(externalData ? { use_external_data_format: Object.fromEntries(files.map((file) => [file, 1])) } : {}),
  };
}

function qwen2VlConfig(contents: VisionLanguageContents) {
  const { options, shape, vision, provenance } = contents;
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
    'transformers.js_config': transformersJsConfig(contents),
    cot_studio: provenance,
  };
}

/** SmolVLM's config.json: the decoder's sizes under text_config, the tower's under vision_config, as the public exports have them. */
function smolVlmConfig(contents: VisionLanguageContents) {
  const { options, shape, vision, provenance } = contents;
  return {
    architectures: ['Idefics3ForConditionalGeneration'],
    model_type: 'idefics3',
    image_token_id: tokenId('<image>'),
    scale_factor: IDEFICS3_TILE.scaleFactor,
    text_config: { model_type: 'llama', ...decoderFields(shape), ...storageFields(options.dtype) },
    vision_config: {
      model_type: 'idefics3_vision',
      hidden_size: vision.hidden,
      image_size: IDEFICS3_TILE.imageSize,
      patch_size: IDEFICS3_TILE.patchSize,
      num_channels: IDEFICS3_TILE.channels,
    },
    ...storageFields(options.dtype),
    'transformers.js_config': transformersJsConfig(contents),
    cot_studio: provenance,
  };
}

/** SmolVLM's image processor: the image's longest edge to 128 pixels, then 64-pixel tiles and a global view, normalised to [-1, 1]. */
const smolVlmPreprocessorConfig = () => ({
  image_processor_type: 'Idefics3ImageProcessor',
  processor_class: 'Idefics3Processor',
  do_convert_rgb: true,
  do_resize: true,
  size: { longest_edge: IDEFICS3_TILE.longestEdge },
  // Lanczos, as the public SmolVLM configs say.
  resample: 1,
  do_rescale: true,
  rescale_factor: 1 / 255,
  do_normalize: true,
  image_mean: [0.5, 0.5, 0.5],
  image_std: [0.5, 0.5, 0.5],
  do_pad: true,
  do_image_splitting: true,
  max_image_size: { longest_edge: IDEFICS3_TILE.imageSize },
});

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
 * Writes a Qwen2-VL or SmolVLM folder in the onnx-community layout: config.json, generation_config.json,
 * preprocessor_config.json (and SmolVLM's processor_config.json), the tokenizer with the image tokens and a chat
 * template that places them, and onnx/vision_encoder, embed_tokens and decoder_model_merged (`_fp16` for float16).
 * Returns the decoder's file.
 */
export function writeVisionLanguageFolder(dir: string, contents: VisionLanguageContents): WrittenModel & { files: string[] } {
  const { options } = contents;
  const smolVlm = options.kind === 'smolvlm';
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  for (const stale of ['processor_config.json', 'preprocessor_config.json']) fs.rmSync(path.join(dir, stale), { force: true });
  writeJson(path.join(dir, 'config.json'), smolVlm ? smolVlmConfig(contents) : qwen2VlConfig(contents));
  writeJson(path.join(dir, 'generation_config.json'), generationConfig(smolVlm ? [MIN_VOCAB + IDEFICS3_TOKENS.indexOf('<end_of_utterance>')] : []));
  writeJson(path.join(dir, 'preprocessor_config.json'), smolVlm ? smolVlmPreprocessorConfig() : preprocessorConfig(options.maxPixels));
  if (smolVlm) writeJson(path.join(dir, 'processor_config.json'), { processor_class: 'Idefics3Processor', image_seq_len: IDEFICS3_TILE_TOKENS });
  writeJson(path.join(dir, 'tokenizer.json'), contents.tokenizer);
  const chat = smolVlm
    ? { template: SMOLVLM_CHAT_TEMPLATE, specialTokens: ['<|im_start|>', '<|im_end|>', '<image>', ...IDEFICS3_TOKENS] }
    : { template: QWEN2_VL_CHAT_TEMPLATE, specialTokens: ['<|im_start|>', '<|im_end|>', ...VISION_TOKENS] };
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
