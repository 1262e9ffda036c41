import { type GraphBuilder, TensorType, type TensorTypeCode, toFloat16 } from '../onnx';

export type WeightType = 'fp32' | 'fp16';

export interface Precision {
  /** The type of the floats that cross the graph's boundary (inputs, outputs, the KV cache). */
  boundary: TensorTypeCode;
  /** A weight: float16 on disk and cast to float32 on load for `fp16`, float32 otherwise. */
  weight(name: string, dims: number[], values: Float32Array): string;
  /** A boundary value as the float32 the computation uses. */
  fromBoundary(name: string): string;
  /** Produces the output `name` in the boundary type (`produce` names its result `output` when no cast follows). */
  toBoundary(name: string, produce: (output?: string) => string): string;
}

/**
 * How a test graph stores its weights and exchanges its values. Computation is always in float32; with `fp16`
 * the weights are stored as float16 and the inputs and outputs are float16, as the public fp16 exports have them.
 */
export function precision(g: GraphBuilder, dtype: WeightType): Precision {
  const half = dtype === 'fp16';
  return {
    boundary: half ? TensorType.float16 : TensorType.float,
    weight: (name, dims, values) =>
      half ? g.op('Cast', [g.initializer(name, dims, toFloat16(values))], { to: TensorType.float }, `${name}.float`) : g.initializer(name, dims, values),
    fromBoundary: (name) => (half ? g.op('Cast', [name], { to: TensorType.float }) : name),
    toBoundary: (name, produce) => (half ? g.op('Cast', [produce()], { to: TensorType.float16 }, name) : produce(name)),
  };
}
