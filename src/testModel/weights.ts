import type { Factors } from './factor';
import type { SeededRandom } from './random';
import type { ModelShape } from './shape';

export interface LayerNormWeights {
  scale: Float32Array;
  bias: Float32Array;
}

export interface LayerWeights {
  attentionNorm: LayerNormWeights;
  query: Float32Array;
  key: Float32Array;
  value: Float32Array;
  output: Float32Array;
  mlpNorm: LayerNormWeights;
  up: Float32Array;
  down: Float32Array;
}

export interface DecoderWeights {
  /** [vocab, hidden] */
  tokens: Float32Array;
  /** [maxPositions, hidden]; a decoder with 3-D positions has a table per axis, one after the other. */
  positions: Float32Array;
  layers: LayerWeights[];
  /** [hidden, vocab] */
  head: Float32Array;
  /** [vocab], added to the logits */
  headBias: Float32Array;
}

const layerNorm = (size: number): LayerNormWeights => ({ scale: new Float32Array(size).fill(1), bias: new Float32Array(size) });

/** Weights drawn from N(0, std²) in a fixed order; LayerNorm scale 1 and bias 0. `positionAxes`: 3 for Qwen2-VL's positions. */
export function randomWeights(shape: ModelShape, random: SeededRandom, std: number, positionAxes = 1): DecoderWeights {
  const { hidden, headDim, heads, kvHeads, intermediate, vocab } = shape;
  const draw = (size: number) => random.normals(size, std);
  const tokens = draw(vocab * hidden);
  const positions = draw(positionAxes * shape.maxPositions * hidden);
  const layers = Array.from(
    { length: shape.layers },
    (): LayerWeights => ({
      attentionNorm: layerNorm(hidden),
      query: draw(hidden * heads * headDim),
      key: draw(hidden * kvHeads * headDim),
      value: draw(hidden * kvHeads * headDim),
      output: draw(heads * headDim * hidden),
      mlpNorm: layerNorm(hidden),
      up: draw(hidden * intermediate),
      down: draw(intermediate * hidden),
    }),
  );
  return { tokens, positions, layers, head: draw(hidden * vocab), headBias: new Float32Array(vocab) };
}

/**
 * A logit far below any bigram score, for tokens the corpus never contains (reserved filler, unused
 * bytes, tags the data lacks): smoothing would give them a little probability each, and sampling would
 * then print them now and then.
 */
const ABSENT_TOKEN_LOGIT = -30;

/**
 * Weights whose logits are the factored bigram scores of the current token: attention output, MLP output
 * and position embeddings are zero, so every block adds nothing and the last hidden state is the token's
 * embedding; there is no final normalisation, so embedding × head gives the scores unchanged.
 */
export function bigramWeights(
  shape: ModelShape,
  random: SeededRandom,
  std: number,
  factors: Factors,
  occurs: Uint8Array,
  { positionAxes = 1, attention = 'none' }: { positionAxes?: number; attention?: 'none' | 'random' } = {},
): DecoderWeights {
  const weights = randomWeights(shape, random, std, positionAxes);
  for (const layer of weights.layers) {
    // A vision-language model keeps its attention output, small and random: the one way an image reaches the text.
    if (attention === 'none') layer.output.fill(0);
    layer.down.fill(0);
  }
  weights.positions.fill(0);
  const headBias = Float32Array.from(occurs, (present) => (present ? 0 : ABSENT_TOKEN_LOGIT));
  return { ...weights, tokens: factors.left, head: factors.right, headBias };
}
