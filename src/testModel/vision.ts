import { floatAttribute, type Graph, GraphBuilder, TensorType } from '../onnx';
import { precision, type WeightType } from './precision';
import type { SeededRandom } from './random';

/** Qwen2-VL's patching, as its processor and vision tower have it: fixed by the architecture. */
export const QWEN2_VL_PATCH = { channels: 3, patchSize: 14, temporalPatchSize: 2, mergeSize: 2 } as const;
/** Values in one patch as the processor flattens it: channels × frames × rows × columns. */
export const PATCH_VALUES = QWEN2_VL_PATCH.channels * QWEN2_VL_PATCH.temporalPatchSize * QWEN2_VL_PATCH.patchSize ** 2;
/** Patches merged into one image token (2 × 2). */
export const MERGED_PATCHES = QWEN2_VL_PATCH.mergeSize ** 2;

export interface VisionShape {
  /** Width of a patch's embedding in the vision tower. */
  hidden: number;
  /** Width of an image token, the language model's hidden size. */
  outHidden: number;
}

/** SmolVLM's (Idefics3's) tiling in the test model: 64-pixel tiles of 8-pixel patches, 2 × 2 patches to a token. */
export const IDEFICS3_TILE = { channels: 3, imageSize: 64, patchSize: 8, scaleFactor: 2, longestEdge: 128 } as const;
/** Values in one Idefics3 patch: channels × rows × columns. */
export const IDEFICS3_PATCH_VALUES = IDEFICS3_TILE.channels * IDEFICS3_TILE.patchSize ** 2;
/** Image tokens per tile: the patches of a tile over the pixel shuffle's groups. */
export const IDEFICS3_TILE_TOKENS = (IDEFICS3_TILE.imageSize / IDEFICS3_TILE.patchSize) ** 2 / IDEFICS3_TILE.scaleFactor ** 2;

export interface VisionWeights {
  /** [patch values, hidden]: the patch embedding (Qwen2-VL's Conv3d and Idefics3's Conv2d, without bias here). */
  patch: Float32Array;
  /** LayerNorm over a patch, then two layers over each group of merged patches (2 × 2 for both families). */
  norm: { scale: Float32Array; bias: Float32Array };
  /** [4 × hidden, 4 × hidden] and its bias. */
  up: Float32Array;
  upBias: Float32Array;
  /** [4 × hidden, outHidden] and its bias. */
  down: Float32Array;
  downBias: Float32Array;
}

export function randomVisionWeights(shape: VisionShape, random: SeededRandom, std: number, patchValues = PATCH_VALUES): VisionWeights {
  const merged = MERGED_PATCHES * shape.hidden;
  const draw = (size: number) => random.normals(size, std);
  return {
    patch: draw(patchValues * shape.hidden),
    norm: { scale: new Float32Array(shape.hidden).fill(1), bias: new Float32Array(shape.hidden) },
    up: draw(merged * merged),
    upBias: new Float32Array(merged),
    down: draw(merged * shape.outHidden),
    downBias: new Float32Array(shape.outHidden),
  };
}

const LAYER_NORM_EPSILON = 1e-6;

/**
 * Qwen2-VL's `vision_encoder.onnx` as the public exports have it: `pixel_values` [patches, 1176] (the processor's
 * flattened patches, each 2 × 2 group consecutive) and `grid_thw` [images, 3] in, `image_features` [patches / 4,
 * text hidden] out, one row per image token. A patch embedding and the patch merger stand for the tower: every
 * value of the image reaches the features, which is what the engine's tests need of it. `grid_thw` sizes the
 * tower's rotary positions in the real model; this one has none and only takes it.
 */
export function buildQwen2VisionEncoder(shape: VisionShape, weights: VisionWeights, dtype: WeightType): Graph {
  const g = new GraphBuilder('cot-studio-test-vision-encoder');
  const { boundary, weight, fromBoundary, toBoundary } = precision(g, dtype);
  const merged = MERGED_PATCHES * shape.hidden;
  const patches = g.op('MatMul', [fromBoundary('pixel_values'), weight('visual.patch_embed.proj.weight', [PATCH_VALUES, shape.hidden], weights.patch)]);
  const normed = g.op(
    'LayerNormalization',
    [patches, weight('visual.merger.ln_q.weight', [shape.hidden], weights.norm.scale), weight('visual.merger.ln_q.bias', [shape.hidden], weights.norm.bias)],
    {
      axis: -1,
      epsilon: floatAttribute(LAYER_NORM_EPSILON),
    },
  );
  const groups = g.op('Reshape', [normed, g.int64('const.merged_shape', [-1, merged])]);
  const up = g.op('Add', [
    g.op('MatMul', [groups, weight('visual.merger.mlp.0.weight', [merged, merged], weights.up)]),
    weight('visual.merger.mlp.0.bias', [merged], weights.upBias),
  ]);
  const activated = g.op('Mul', [up, g.op('Sigmoid', [up])]);
  toBoundary('image_features', (output) =>
    g.op(
      'Add',
      [
        g.op('MatMul', [activated, weight('visual.merger.mlp.2.weight', [merged, shape.outHidden], weights.down)]),
        weight('visual.merger.mlp.2.bias', [shape.outHidden], weights.downBias),
      ],
      undefined,
      output,
    ),
  );
  return g.build(
    [
      { name: 'pixel_values', type: boundary, shape: ['num_patches', PATCH_VALUES] },
      { name: 'grid_thw', type: TensorType.int64, shape: ['num_images', 3] },
    ],
    [{ name: 'image_features', type: boundary, shape: ['num_image_tokens', shape.outHidden] }],
  );
}

/**
 * SmolVLM's `vision_encoder.onnx` as the public exports have it: `pixel_values` [batch, tiles, 3, 64, 64] (the
 * processor's tiles and global view) and `pixel_attention_mask` [batch, tiles, 64, 64] in, `image_features` [tiles,
 * 16, text hidden] out. The tiles are cut into 8-pixel patches and embedded, and Idefics3's pixel shuffle gathers
 * 2 × 2 patches into one token before the connector (the same merger layers as Qwen2-VL's here), so every pixel of
 * every tile reaches its tile's tokens. The mask is taken and not read, as the real tower reads it only for padding.
 */
export function buildIdefics3VisionEncoder(shape: VisionShape, weights: VisionWeights, dtype: WeightType): Graph {
  const g = new GraphBuilder('cot-studio-test-idefics3-vision-encoder');
  const { boundary, weight, fromBoundary, toBoundary } = precision(g, dtype);
  const { channels, imageSize, patchSize, scaleFactor } = IDEFICS3_TILE;
  const side = imageSize / patchSize;
  const merged = scaleFactor ** 2 * shape.hidden;
  // [N, 3, side, p, side, p] -> [N, side, side, 3, p, p] -> [N, side², 3·p·p]: patches in reading order.
  const cut = g.op('Reshape', [fromBoundary('pixel_values'), g.int64('const.patch_grid', [-1, channels, side, patchSize, side, patchSize])]);
  const ordered = g.op('Transpose', [cut], { perm: [0, 2, 4, 1, 3, 5] });
  const flat = g.op('Reshape', [ordered, g.int64('const.patch_rows', [-1, side * side, IDEFICS3_PATCH_VALUES])]);
  const patches = g.op('MatMul', [flat, weight('model.vision_model.embeddings.patch_embedding.weight', [IDEFICS3_PATCH_VALUES, shape.hidden], weights.patch)]);
  const normed = g.op(
    'LayerNormalization',
    [
      patches,
      weight('model.vision_model.post_layernorm.weight', [shape.hidden], weights.norm.scale),
      weight('model.vision_model.post_layernorm.bias', [shape.hidden], weights.norm.bias),
    ],
    { axis: -1, epsilon: floatAttribute(LAYER_NORM_EPSILON) },
  );
  // Idefics3's pixel shuffle: [N, side, side/r, r·D] -> swap -> [N, side/r, side/r, r²·D] -> swap -> [N, tokens, r²·D].
  const rows = g.op('Reshape', [normed, g.int64('const.shuffle_rows', [-1, side, side / scaleFactor, scaleFactor * shape.hidden])]);
  const swapped = g.op('Transpose', [rows], { perm: [0, 2, 1, 3] });
  const grouped = g.op('Reshape', [swapped, g.int64('const.shuffle_groups', [-1, side / scaleFactor, side / scaleFactor, merged])]);
  const shuffled = g.op('Reshape', [g.op('Transpose', [grouped], { perm: [0, 2, 1, 3] }), g.int64('const.shuffle_tokens', [-1, IDEFICS3_TILE_TOKENS, merged])]);
  const up = g.op('Add', [
    g.op('MatMul', [shuffled, weight('model.connector.up.weight', [merged, merged], weights.up)]),
    weight('model.connector.up.bias', [merged], weights.upBias),
  ]);
  const activated = g.op('Mul', [up, g.op('Sigmoid', [up])]);
  toBoundary('image_features', (output) =>
    g.op(
      'Add',
      [
        g.op('MatMul', [activated, weight('model.connector.modality_projection.proj.weight', [merged, shape.outHidden], weights.down)]),
        weight('model.connector.modality_projection.proj.bias', [shape.outHidden], weights.downBias),
      ],
      undefined,
      output,
    ),
  );
  return g.build(
    [
      { name: 'pixel_values', type: boundary, shape: ['batch_size', 'num_images', channels, imageSize, imageSize] },
      { name: 'pixel_attention_mask', type: TensorType.bool, shape: ['batch_size', 'num_images', imageSize, imageSize] },
    ],
    [{ name: 'image_features', type: boundary, shape: ['num_images', IDEFICS3_TILE_TOKENS, shape.outHidden] }],
  );
}

/** `embed_tokens.onnx`: `input_ids` to `inputs_embeds`, the rows the decoder reads for every token but the image's. */
export function buildEmbedTokens(vocab: number, hidden: number, table: Float32Array, dtype: WeightType): Graph {
  const g = new GraphBuilder('cot-studio-test-embed-tokens');
  const { boundary, weight, toBoundary } = precision(g, dtype);
  toBoundary('inputs_embeds', (output) => g.op('Gather', [weight('model.embed_tokens.weight', [vocab, hidden], table), 'input_ids'], undefined, output));
  return g.build(
    [{ name: 'input_ids', type: TensorType.int64, shape: ['batch_size', 'sequence_length'] }],
    [{ name: 'inputs_embeds', type: boundary, shape: ['batch_size', 'sequence_length', hidden] }],
  );
}
