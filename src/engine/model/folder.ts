import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../../errors/message';

/** A model folder is unusable; the message says what was expected and what was found. */
export class ModelFolderError extends Error {}

/** Weight variants in the order `auto` prefers them: full precision first, since it is always correct. */
export const MODEL_VARIANTS = ['fp32', 'fp16', 'q4f16', 'q4', 'quantized', 'int8', 'uint8'] as const;
export const modelVariantSchema = z.enum(['auto', ...MODEL_VARIANTS]);
export type ModelVariant = z.infer<typeof modelVariantSchema>;

type Variant = (typeof MODEL_VARIANTS)[number];

/** `model.onnx`, `model_fp16.onnx`: how the Hugging Face ONNX exports name a graph's weight variants. */
const variantFile = (graph: string, variant: Variant): string => (variant === 'fp32' ? `${graph}.onnx` : `${graph}_${variant}.onnx`);

/** The graphs of a vision-language export (transformers.js and the onnx-community / Optimum layout). */
const VISION_GRAPHS = { encoder: 'vision_encoder', embed: 'embed_tokens', decoder: 'decoder_model_merged' } as const;

/**
 * Vision-language architectures the engine reads, by config.json's model_type. Each names how its images become
 * tokens; the rest (three graphs, a decoder on embeddings) is the same layout.
 */
export const VISION_FAMILIES = { qwen2_vl: 'qwen2-vl', qwen2_5_vl: 'qwen2-vl', idefics3: 'idefics3', smolvlm: 'idefics3' } as const;
export type VisionFamily = (typeof VISION_FAMILIES)[keyof typeof VISION_FAMILIES];

// Exports often write `null` for ids a model does not use (pad_token_id).
const tokenIdsSchema = z.union([z.number().int(), z.array(z.number().int())]).nullish();

/** The fields of config.json the engine reads; exports carry many more. */
const configFieldsSchema = z.looseObject({
  model_type: z.string().optional(),
  num_hidden_layers: z.number().int().positive().optional(),
  num_attention_heads: z.number().int().positive().optional(),
  num_key_value_heads: z.number().int().positive().optional(),
  hidden_size: z.number().int().positive().optional(),
  head_dim: z.number().int().positive().optional(),
  vocab_size: z.number().int().positive().optional(),
  max_position_embeddings: z.number().int().positive().optional(),
  eos_token_id: tokenIdsSchema,
  bos_token_id: tokenIdsSchema,
  pad_token_id: tokenIdsSchema,
});

/**
 * config.json as the engine reads it. A vision-language export keeps its decoder's sizes under `text_config`
 * (SmolVLM, newer Qwen2.5-VL); they count where the top level does not give them.
 */
export const modelConfigSchema = z.preprocess((raw) => {
  if (typeof raw !== 'object' || raw === null || !('text_config' in raw)) return raw;
  const text = raw.text_config;
  return typeof text === 'object' && text !== null ? { ...text, ...raw } : raw;
}, configFieldsSchema);
export type ModelConfig = z.infer<typeof configFieldsSchema>;

export const generationConfigSchema = z.looseObject({ eos_token_id: tokenIdsSchema, pad_token_id: tokenIdsSchema });
export type GenerationConfig = z.infer<typeof generationConfigSchema>;

/** Special tokens appear as strings or as `{content}` objects depending on the exporter. */
const specialTokenSchema = z.union([z.string(), z.looseObject({ content: z.string() })]).nullish();
export const tokenizerConfigSchema = z.looseObject({
  chat_template: z.union([z.string(), z.array(z.looseObject({ name: z.string(), template: z.string() }))]).optional(),
  eos_token: specialTokenSchema,
  bos_token: specialTokenSchema,
  pad_token: specialTokenSchema,
});
export type TokenizerConfig = z.infer<typeof tokenizerConfigSchema>;

/** A vision-language export's graphs besides the decoder, and its image processor's settings. */
export interface VisionFiles {
  family: VisionFamily;
  /** Images to features: `pixel_values` (+ `grid_thw`) in, `image_features` out. */
  encoderFile: string;
  /** Token ids to the decoder's input embeddings. */
  embedFile: string;
  /** preprocessor_config.json, as the model's processor reads it. */
  preprocessor: Record<string, unknown>;
  /** processor_config.json (Idefics3's image_seq_len), when the folder has one. */
  processor: Record<string, unknown>;
}

export interface ChatTemplateSource {
  text: string;
  file: string;
}

export interface ModelFolder {
  dir: string;
  /** The folder's name, used as the model's name in provenance. */
  name: string;
  config: ModelConfig;
  generationConfig: GenerationConfig;
  tokenizerJson: object;
  tokenizerConfig: TokenizerConfig;
  /** From chat_template.jinja, else tokenizer_config.json (the file named, for errors); undefined when the model has none. */
  chatTemplate: ChatTemplateSource | undefined;
  /** The decoder: `model*.onnx` of a text model, `decoder_model_merged*.onnx` of a vision-language one. */
  modelFile: string;
  variant: Variant;
  /** Present when the folder is a vision-language export: the model sees the prompt's images. */
  vision?: VisionFiles;
}

function readJson<T>(file: string, schema: z.ZodType<T>, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ModelFolderError(`${file}: expected ${what} as JSON, found ${errorMessage(error)}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelFolderError(`${file}: field '${issue?.path.join('.') || '(root)'}' ${issue?.message ?? 'is invalid'}`);
  }
  return parsed.data;
}

function listing(dir: string): string {
  const entries = fs.readdirSync(dir);
  return entries.length === 0 ? 'an empty folder' : entries.slice(0, 12).join(', ') + (entries.length > 12 ? `, … (${entries.length} entries)` : '');
}

function pickModelFile(onnxDir: string, graph: string, variant: ModelVariant): { file: string; variant: Variant } {
  const wanted = variant === 'auto' ? MODEL_VARIANTS : [variant];
  for (const candidate of wanted) {
    const file = path.join(onnxDir, variantFile(graph, candidate));
    if (fs.existsSync(file)) return { file, variant: candidate };
  }
  const expected = wanted.map((candidate) => variantFile(graph, candidate)).join(' or ');
  throw new ModelFolderError(`${onnxDir}: expected ${expected}, found ${listing(onnxDir)}`);
}

const SUPPORTED_VISION = Object.keys(VISION_FAMILIES).join(', ');

/**
 * The vision encoder and embeddings of a vision-language export, in the decoder's variant where the export has
 * it (exports often quantise the three graphs differently, so any variant of theirs is taken otherwise).
 */
function readVisionFiles(abs: string, onnxDir: string, config: ModelConfig, variant: Variant): VisionFiles {
  const type = config.model_type ?? '(none)';
  const family = (VISION_FAMILIES as Record<string, VisionFamily>)[type];
  if (family === undefined) {
    throw new ModelFolderError(
      `${path.join(abs, 'config.json')}: model_type '${type}' is a vision-language architecture CoT Studio does not read; supported: ${SUPPORTED_VISION}`,
    );
  }
  const graphFile = (graph: string): string => {
    const same = path.join(onnxDir, variantFile(graph, variant));
    return fs.existsSync(same) ? same : pickModelFile(onnxDir, graph, 'auto').file;
  };
  const preprocessor = path.join(abs, 'preprocessor_config.json');
  if (!fs.existsSync(preprocessor))
    throw new ModelFolderError(`${abs}: expected preprocessor_config.json (the image processor's settings), found ${listing(abs)}`);
  const processor = path.join(abs, 'processor_config.json');
  const settings = z.record(z.string(), z.unknown());
  return {
    family,
    encoderFile: graphFile(VISION_GRAPHS.encoder),
    embedFile: graphFile(VISION_GRAPHS.embed),
    preprocessor: readJson(preprocessor, settings, "the image processor's settings"),
    processor: fs.existsSync(processor) ? readJson(processor, settings, "the processor's settings") : {},
  };
}

/** A vision-language export has its decoder under another name than a text model's. */
const isVisionLanguage = (onnxDir: string): boolean =>
  fs.readdirSync(onnxDir).some((name) => name.startsWith(`${VISION_GRAPHS.decoder}`) || name.startsWith(`${VISION_GRAPHS.encoder}`));

/**
 * Reads a model folder in the Hugging Face ONNX layout: config.json, tokenizer.json, tokenizer_config.json
 * or chat_template.jinja, generation_config.json (optional) and onnx/model*.onnx; or, for a vision-language
 * model, onnx/vision_encoder*, embed_tokens* and decoder_model_merged*.onnx with preprocessor_config.json.
 */
export function readModelFolder(dir: string, variant: ModelVariant = 'auto'): ModelFolder {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) {
    throw new ModelFolderError(
      `${abs}: expected a model folder (config.json, tokenizer.json, onnx/model.onnx), found ${fs.existsSync(abs) ? 'a file' : 'nothing'}`,
    );
  }
  for (const required of ['config.json', 'tokenizer.json']) {
    if (!fs.existsSync(path.join(abs, required))) {
      throw new ModelFolderError(`${abs}: expected ${required} in a Hugging Face ONNX model folder, found ${listing(abs)}`);
    }
  }
  const onnxDir = path.join(abs, 'onnx');
  if (!fs.existsSync(onnxDir)) throw new ModelFolderError(`${abs}: expected an onnx/ folder with model.onnx, found ${listing(abs)}`);
  const config = readJson(path.join(abs, 'config.json'), modelConfigSchema, 'the model configuration');
  const visionLanguage = isVisionLanguage(onnxDir);
  const { file, variant: chosen } = pickModelFile(onnxDir, visionLanguage ? VISION_GRAPHS.decoder : 'model', variant);
  const vision = visionLanguage ? readVisionFiles(abs, onnxDir, config, chosen) : undefined;
  const optional = <T>(name: string, schema: z.ZodType<T>, what: string, fallback: T): T =>
    fs.existsSync(path.join(abs, name)) ? readJson(path.join(abs, name), schema, what) : fallback;
  const tokenizerConfig = optional('tokenizer_config.json', tokenizerConfigSchema, 'the tokenizer configuration', {});
  const templateFile = path.join(abs, 'chat_template.jinja');
  const configured = tokenizerConfig.chat_template;
  const configuredText = typeof configured === 'string' ? configured : configured?.find((entry) => entry.name === 'default')?.template;
  const chatTemplate = fs.existsSync(templateFile)
    ? { text: fs.readFileSync(templateFile, 'utf8'), file: templateFile }
    : configuredText === undefined
      ? undefined
      : { text: configuredText, file: path.join(abs, 'tokenizer_config.json') };
  return {
    dir: abs,
    name: path.basename(abs),
    config,
    generationConfig: optional('generation_config.json', generationConfigSchema, 'the generation configuration', {}),
    tokenizerJson: readJson(path.join(abs, 'tokenizer.json'), z.looseObject({ model: z.looseObject({}) }), 'a tokenizers.json with a model'),
    tokenizerConfig,
    chatTemplate,
    modelFile: file,
    variant: chosen,
    ...(vision ? { vision } : {}),
  };
}
