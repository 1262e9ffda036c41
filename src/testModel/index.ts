import { Tokenizer } from '@huggingface/tokenizers';
import { PROTOBUF_LIMIT } from '../onnx';
import { bigramScores } from './bigram';
import { BUILTIN_CORPUS } from './builtinCorpus';
import { readCorpus } from './corpus';
import { buildDecoder, POSITION_AXES } from './decoder';
import { lowRankFactors } from './factor';
import { writeFolder, writeVisionLanguageFolder } from './folder';
import { isVisionKind, type TestModelOptions, type TestModelOptionsInput, testModelOptionsSchema } from './options';
import { SeededRandom } from './random';
import { type ModelShape, parameterCount } from './shape';
import { type TokenizerJson, tokenizerConfig, trainTokenizer } from './tokenizer';
import { familyTokens, IM_END_ID } from './tokens';
import { buildEmbedTokens, buildIdefics3VisionEncoder, buildQwen2VisionEncoder, IDEFICS3_PATCH_VALUES, PATCH_VALUES, randomVisionWeights } from './vision';
import { bigramWeights, type DecoderWeights, randomWeights } from './weights';

export { testModelOptionsSchema } from './options';
export type { TestModelOptions, TestModelOptionsInput } from './options';
export type { ModelShape } from './shape';
export { ENDOFTEXT_ID, IDEFICS3_TOKENS, IM_END_ID, MIN_VOCAB, SPECIAL_TOKENS, STAGE_TAGS, tokenId, VISION_TOKENS, visionTokenId } from './tokens';
export { IDEFICS3_TILE, IDEFICS3_TILE_TOKENS, MERGED_PATCHES, PATCH_VALUES, QWEN2_VL_PATCH } from './vision';

export interface TestModel {
  dir: string;
  /** The decoder's ONNX file. */
  modelFile: string;
  /** Every ONNX file: the decoder alone, or a vision-language model's vision encoder, token embeddings and decoder. */
  files: string[];
  /** The external weights file, when weights are external. */
  dataFile: string | undefined;
  /** Bytes of the ONNX file(s). */
  bytes: number;
  parameters: number;
  shape: ModelShape;
  options: TestModelOptions;
  /** Tokens learned from the corpus; the rest beyond the fixed tokens are `<|reserved_N|>`. */
  learnedTokens: number;
  reservedTokens: number;
}

/** What config.json records under `cot_studio` of how the model was made. */
function provenanceOf(options: TestModelOptions, tokenizer: { learned: number; reserved: number }) {
  return {
    kind: options.kind,
    seed: options.seed,
    initStd: options.initStd,
    corpus: options.corpus.length > 0 ? options.corpus : 'built-in samples',
    learnedTokens: tokenizer.learned,
    reservedTokens: tokenizer.reserved,
  };
}

function shapeOf(options: TestModelOptions): ModelShape {
  return {
    layers: options.layers,
    hidden: options.hidden,
    heads: options.heads,
    kvHeads: options.kvHeads,
    headDim: options.hidden / options.heads,
    intermediate: 4 * options.hidden,
    vocab: options.vocab,
    maxPositions: options.maxPositions,
  };
}

/** Room left under the protobuf limit for the graph itself when weights are inline. */
const GRAPH_MARGIN = 64 * 2 ** 20;

/** Each document followed by `<|im_end|>`, so a bigram model learns where answers end. */
function tokenize(json: TokenizerJson, documents: readonly string[], maxPositions: number): number[][] {
  const tokenizer = new Tokenizer(json, tokenizerConfig(json, maxPositions));
  return documents.map((document) => [...tokenizer.encode(document, { add_special_tokens: false }).ids, IM_END_ID]);
}

function weightsFor(
  options: TestModelOptions,
  shape: ModelShape,
  json: TokenizerJson,
  documents: readonly string[],
  random: SeededRandom,
): { weights: DecoderWeights; exact?: boolean } {
  const vision = isVisionKind(options.kind);
  const positionAxes = options.kind === 'qwen2-vl' ? POSITION_AXES : 1;
  if (options.kind === 'random' || (vision && options.text === 'random')) return { weights: randomWeights(shape, random, options.initStd, positionAxes) };
  const { scores, rowCounts, occurs } = bigramScores(tokenize(json, documents, shape.maxPositions), shape.vocab, options.smoothing);
  const factors = lowRankFactors(scores, shape.hidden, random, rowCounts);
  const weights = bigramWeights(shape, random, options.initStd, factors, occurs, { positionAxes, attention: vision ? 'random' : 'none' });
  return { weights, exact: factors.exact };
}

/**
 * Builds a complete Hugging Face layout decoder folder in `dir` (config.json, generation_config.json,
 * tokenizer.json, tokenizer_config.json, onnx/model.onnx or model_fp16.onnx) without downloading anything.
 * A random model without a corpus trains its tokenizer on a few built-in chain-of-thought samples.
 */
export function makeTestModel(dir: string, input: TestModelOptionsInput): TestModel {
  const options = testModelOptionsSchema.parse(input);
  const corpus = readCorpus(options.corpus);
  if (options.kind === 'bigram' && !corpus.some((document) => document.length > 0)) {
    throw new Error(`the corpus (${options.corpus.join(', ')}) holds no text to count bigrams in`);
  }
  const documents = corpus.length > 0 ? corpus : [...BUILTIN_CORPUS];
  if (isVisionKind(options.kind)) return makeVisionLanguageModel(dir, { ...options, kind: options.kind }, documents);
  const tokenizer = trainTokenizer(documents, options.vocab);
  const shape = shapeOf(options);
  const { weights, exact } = weightsFor(options, shape, tokenizer.json, documents, new SeededRandom(options.seed));
  const parameters = parameterCount(shape);
  const weightBytes = parameters * (options.dtype === 'fp16' ? 2 : 4);
  const externalData = options.externalData || weightBytes > PROTOBUF_LIMIT - GRAPH_MARGIN;
  const written = writeFolder(dir, {
    options,
    shape,
    graph: buildDecoder(shape, weights, options.dtype),
    tokenizer: tokenizer.json,
    externalData,
    provenance: {
      ...provenanceOf(options, tokenizer),
      ...(options.kind === 'bigram' ? { smoothing: options.smoothing, exactBigrams: exact } : {}),
      architecture: 'token + learned position embeddings, pre-LayerNorm attention (grouped K/V) and SiLU MLP blocks, linear head with bias and no final norm',
    },
  });
  return { dir, ...written, files: [written.modelFile], parameters, shape, options, learnedTokens: tokenizer.learned, reservedTokens: tokenizer.reserved };
}

/**
 * A Qwen2-VL or SmolVLM in the onnx-community layout: a vision encoder whose features depend on every pixel, the
 * token embeddings, and a decoder that takes embeddings (with Qwen2-VL's 3-D positions), so that where the engine
 * puts the image features and which positions it gives them both change the output.
 */
function makeVisionLanguageModel(dir: string, options: TestModelOptions & { kind: 'qwen2-vl' | 'smolvlm' }, documents: readonly string[]): TestModel {
  const qwen = options.kind === 'qwen2-vl';
  const tokenizer = trainTokenizer(documents, options.vocab, familyTokens(options.kind));
  const shape = shapeOf(options);
  const random = new SeededRandom(options.seed);
  const { weights, exact } = weightsFor(options, shape, tokenizer.json, documents, random);
  const vision = { hidden: options.visionHidden, outHidden: shape.hidden };
  // Image features as large as token embeddings, so that neither drowns the other.
  const visionWeights = randomVisionWeights(vision, random, options.initStd, qwen ? PATCH_VALUES : IDEFICS3_PATCH_VALUES);
  const axes = qwen ? POSITION_AXES : 1;
  const graphs = {
    vision: qwen ? buildQwen2VisionEncoder(vision, visionWeights, options.dtype) : buildIdefics3VisionEncoder(vision, visionWeights, options.dtype),
    embed: buildEmbedTokens(shape.vocab, shape.hidden, weights.tokens, options.dtype),
    decoder: buildDecoder(shape, weights, options.dtype, 'embeddings', axes),
  };
  const visionParameters = [
    visionWeights.patch,
    visionWeights.norm.scale,
    visionWeights.norm.bias,
    visionWeights.up,
    visionWeights.upBias,
    visionWeights.down,
    visionWeights.downBias,
  ]
    .map((values) => values.length)
    .reduce((sum, length) => sum + length, 0);
  const parameters = parameterCount(shape) + (axes - 1) * shape.maxPositions * shape.hidden + visionParameters;
  const externalData = options.externalData || parameters * (options.dtype === 'fp16' ? 2 : 4) > PROTOBUF_LIMIT - GRAPH_MARGIN;
  const written = writeVisionLanguageFolder(dir, {
    options,
    shape,
    vision,
    graphs,
    tokenizer: tokenizer.json,
    externalData,
    provenance: {
      ...provenanceOf(options, tokenizer),
      text: options.text,
      ...(options.text === 'bigram' ? { smoothing: options.smoothing, exactBigrams: exact } : {}),
      architecture: qwen
        ? 'vision: patch embedding and the 2x2 patch merger; decoder: embeddings plus learned per-axis (t, h, w) position embeddings, pre-LayerNorm attention (grouped K/V) and SiLU MLP blocks, linear head with bias'
        : 'vision: 64-pixel tiles in 8-pixel patches, embedding, the 2x2 pixel shuffle and a connector; decoder: embeddings plus learned position embeddings, pre-LayerNorm attention (grouped K/V) and SiLU MLP blocks, linear head with bias',
    },
  });
  return { dir, ...written, parameters, shape, options, learnedTokens: tokenizer.learned, reservedTokens: tokenizer.reserved };
}
