/** The decoder's sizes; every matrix is stored [in, out] for MatMul. */
export interface ModelShape {
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** Width of the MLP's hidden layer. */
  intermediate: number;
  vocab: number;
  maxPositions: number;
}

/** Number of weights in a decoder of this shape. */
export function parameterCount(shape: ModelShape): number {
  const { hidden, headDim, heads, kvHeads, intermediate, vocab, maxPositions } = shape;
  const attention = hidden * headDim * (2 * heads + 2 * kvHeads);
  const perLayer = 4 * hidden + attention + 2 * hidden * intermediate;
  return 2 * vocab * hidden + vocab + maxPositions * hidden + shape.layers * perLayer;
}
