import { encodeModel, TensorType } from '../onnx';

/** A one-node model (y = x + c) that every execution provider can run; proves a provider really works. */
export const probeConstant = Float32Array.from([1, 2, 3, 4]);

export function buildProbeModel(): Uint8Array {
  return encodeModel({
    name: 'cot-studio-probe',
    nodes: [{ opType: 'Add', inputs: ['x', 'c'], outputs: ['y'] }],
    inputs: [{ name: 'x', type: TensorType.float, shape: ['batch_size', 4] }],
    outputs: [{ name: 'y', type: TensorType.float, shape: ['batch_size', 4] }],
    initializers: [{ name: 'c', dims: [4], values: probeConstant }],
  });
}
