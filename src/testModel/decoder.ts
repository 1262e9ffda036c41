import { floatAttribute, type Graph, GraphBuilder, TensorType, type TensorTypeCode, type ValueInfo } from '../onnx';
import { precision, type WeightType } from './precision';
import type { ModelShape } from './shape';
import type { DecoderWeights } from './weights';

export type { WeightType } from './precision';

/**
 * What the decoder takes: token ids (a text model's `model.onnx`), or embeddings (a vision-language model's
 * `decoder_model_merged.onnx`, whose image tokens carry image features in place of token embeddings).
 */
export type DecoderInput = 'tokens' | 'embeddings';

/** Position axes: 1 (token order) or, for Qwen2-VL, 3 (temporal, height, width). */
export type PositionAxes = 1 | 3;

/** The axes of Qwen2-VL's position ids: each has its own table of learned position embeddings here. */
export const POSITION_AXES = 3;

/** What masked attention scores become: finite, so a row with every key masked (a pad query) stays NaN-free. */
const MASKED_SCORE = -1e9;
const LAYER_NORM_EPSILON = 1e-5;

const pastName = (layer: number, kind: 'key' | 'value') => `past_key_values.${layer}.${kind}`;
const presentName = (layer: number, kind: 'key' | 'value') => `present.${layer}.${kind}`;

/** The graph's inputs and outputs, named and shaped as Hugging Face decoder exports name them. */
function signature(shape: ModelShape, float: TensorTypeCode, input: DecoderInput, axes: PositionAxes): { inputs: ValueInfo[]; outputs: ValueInfo[] } {
  const cache = (name: string, length: string): ValueInfo => ({ name, type: float, shape: ['batch_size', shape.kvHeads, length, shape.headDim] });
  const layers = Array.from({ length: shape.layers }, (_, i) => i);
  const tokens: ValueInfo[] =
    input === 'tokens'
      ? [
          { name: 'input_ids', type: TensorType.int64, shape: ['batch_size', 'sequence_length'] },
          { name: 'attention_mask', type: TensorType.int64, shape: ['batch_size', 'total_sequence_length'] },
          { name: 'position_ids', type: TensorType.int64, shape: ['batch_size', 'sequence_length'] },
        ]
      : [
          { name: 'inputs_embeds', type: float, shape: ['batch_size', 'sequence_length', shape.hidden] },
          { name: 'attention_mask', type: TensorType.int64, shape: ['batch_size', 'total_sequence_length'] },
          { name: 'position_ids', type: TensorType.int64, shape: axes === 1 ? ['batch_size', 'sequence_length'] : [axes, 'batch_size', 'sequence_length'] },
        ];
  return {
    inputs: [...tokens, ...layers.flatMap((i) => [cache(pastName(i, 'key'), 'past_sequence_length'), cache(pastName(i, 'value'), 'past_sequence_length')])],
    outputs: [
      { name: 'logits', type: float, shape: ['batch_size', 'sequence_length', shape.vocab] },
      ...layers.flatMap((i) => [cache(presentName(i, 'key'), 'total_sequence_length'), cache(presentName(i, 'value'), 'total_sequence_length')]),
    ],
  };
}

/**
 * A pre-LayerNorm transformer decoder with the KV cache: token plus learned position embeddings, attention
 * with grouped K/V heads, a two-matrix SiLU MLP, and a linear head with bias and no final norm. Computation
 * is in float32; with `fp16` the weights are stored as float16 and cast on load, and the cache and logits
 * cross the graph boundary as float16.
 */
export function buildDecoder(shape: ModelShape, weights: DecoderWeights, dtype: WeightType, input: DecoderInput = 'tokens', axes: PositionAxes = 1): Graph {
  const g = new GraphBuilder('cot-studio-test-decoder');
  const { boundary, weight, fromBoundary, toBoundary } = precision(g, dtype);

  const { hidden, heads, kvHeads, headDim, intermediate, vocab } = shape;
  const one = g.int64('const.one', 1);
  const zero = g.int64('const.zero', 0);
  const queryHeads = g.int64('const.split_heads', [0, 0, heads, headDim]);
  const cacheHeads = kvHeads === heads ? queryHeads : g.int64('const.split_kv_heads', [0, 0, kvHeads, headDim]);
  const mergeHeads = g.int64('const.merge_heads', [0, 0, heads * headDim]);
  const group = heads / kvHeads;
  const repeatShape = g.int64('const.repeat_kv', [1, 1, group, 1, 1]);
  const repeatedShape = g.int64('const.repeated_kv', [0, heads, -1, headDim]);
  const axis2 = g.int64('const.axis_2', [2]);
  const scale = g.float('const.attention_scale', 1 / Math.sqrt(headDim));
  const masked = g.float('const.masked_score', MASKED_SCORE);

  // Key j is visible to query i (absolute position past + i) when j <= past + i and the mask keeps j.
  const total = g.op('Gather', [g.op('Shape', ['attention_mask']), one]);
  const length = g.op('Gather', [g.op('Shape', [input === 'tokens' ? 'input_ids' : 'inputs_embeds']), one]);
  const past = g.op('Sub', [total, length]);
  const keyIndex = g.op('Range', [zero, total, one]);
  const queryIndex = g.op('Unsqueeze', [g.op('Range', [past, total, one]), g.int64('const.axis_1', [1])]);
  const causal = g.op('LessOrEqual', [keyIndex, queryIndex]);
  const kept = g.op('Unsqueeze', [g.op('Cast', ['attention_mask'], { to: TensorType.bool }), g.int64('const.axes_1_2', [1, 2])]);
  const visible = g.op('And', [causal, kept], undefined, 'attention_visible');

  const layerNorm = (x: string, prefix: string, values: { scale: Float32Array; bias: Float32Array }) =>
    g.op('LayerNormalization', [x, weight(`${prefix}.weight`, [hidden], values.scale), weight(`${prefix}.bias`, [hidden], values.bias)], {
      axis: -1,
      epsilon: floatAttribute(LAYER_NORM_EPSILON),
    });
  const project = (x: string, name: string, dims: number[], values: Float32Array) => g.op('MatMul', [x, weight(name, dims, values)]);
  const toHeads = (x: string, split: string) => g.op('Transpose', [g.op('Reshape', [x, split])], { perm: [0, 2, 1, 3] });
  // Grouped-query attention: each K/V head serves `group` query heads, so repeat it that many times.
  const repeatKv = (x: string) => (group === 1 ? x : g.op('Reshape', [g.op('Expand', [g.op('Unsqueeze', [x, axis2]), repeatShape]), repeatedShape]));
  // The three axes' embeddings summed: each axis reads its own rows of one table [axes × maxPositions, hidden].
  const positions3d = () => {
    const offsets = g.int64('const.position_axis_offsets', [0, shape.maxPositions, 2 * shape.maxPositions]);
    const rows = g.op('Add', ['position_ids', g.op('Reshape', [offsets, g.int64('const.axes_shape', [POSITION_AXES, 1, 1])])]);
    const table = weight('model.embed_positions.weight', [POSITION_AXES * shape.maxPositions, hidden], weights.positions);
    return g.op('ReduceSum', [g.op('Gather', [table, rows]), g.int64('const.axis_0', [0])], { keepdims: 0 });
  };

  const positions1d = () => g.op('Gather', [weight('model.embed_positions.weight', [shape.maxPositions, hidden], weights.positions), 'position_ids']);
  const embedded =
    input === 'tokens' ? g.op('Gather', [weight('model.embed_tokens.weight', [vocab, hidden], weights.tokens), 'input_ids']) : fromBoundary('inputs_embeds');
  let h = g.op('Add', [embedded, axes === 1 ? positions1d() : positions3d()]);
  weights.layers.forEach((layer, i) => {
    const prefix = `model.layers.${i}`;
    const x = layerNorm(h, `${prefix}.input_layernorm`, layer.attentionNorm);
    const query = toHeads(project(x, `${prefix}.self_attn.q_proj.weight`, [hidden, heads * headDim], layer.query), queryHeads);
    const cache = (kind: 'key' | 'value', values: Float32Array) => {
      const current = toHeads(project(x, `${prefix}.self_attn.${kind[0]}_proj.weight`, [hidden, kvHeads * headDim], values), cacheHeads);
      // Attention reads the cache back from the boundary type, so a full pass and a cached step see the same values.
      const present = toBoundary(presentName(i, kind), (output) => g.op('Concat', [fromBoundary(pastName(i, kind)), current], { axis: 2 }, output));
      return repeatKv(fromBoundary(present));
    };
    const key = cache('key', layer.key);
    const value = cache('value', layer.value);
    const scores = g.op('MatMul', [g.op('Mul', [query, scale]), g.op('Transpose', [key], { perm: [0, 1, 3, 2] })]);
    const probabilities = g.op('Softmax', [g.op('Where', [visible, scores, masked])], { axis: -1 });
    const context = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probabilities, value])], { perm: [0, 2, 1, 3] }), mergeHeads]);
    h = g.op('Add', [h, project(context, `${prefix}.self_attn.o_proj.weight`, [heads * headDim, hidden], layer.output)]);
    const up = project(layerNorm(h, `${prefix}.post_attention_layernorm`, layer.mlpNorm), `${prefix}.mlp.up_proj.weight`, [hidden, intermediate], layer.up);
    const activated = g.op('Mul', [up, g.op('Sigmoid', [up])]);
    h = g.op('Add', [h, project(activated, `${prefix}.mlp.down_proj.weight`, [intermediate, hidden], layer.down)]);
  });
  const projected = g.op('MatMul', [h, weight('lm_head.weight', [hidden, vocab], weights.head)]);
  toBoundary('logits', (output) => g.op('Add', [projected, weight('lm_head.bias', [vocab], weights.headBias)], undefined, output));
  const { inputs, outputs } = signature(shape, boundary, input, axes);
  return g.build(inputs, outputs);
}
