import { ProtoWriter } from './protobuf';

/** ONNX TensorProto.DataType values used here. */
export const TensorType = { float: 1, int64: 7, float16: 10 } as const;
export type TensorTypeCode = (typeof TensorType)[keyof typeof TensorType];

/** A dimension is a fixed size or a symbolic name such as `batch_size`. */
export type Dimension = number | string;

export interface ValueInfo {
  name: string;
  type: TensorTypeCode;
  shape: Dimension[];
}

export interface Initializer {
  name: string;
  dims: number[];
  values: Float32Array;
}

export interface Node {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, number | number[]>;
}

export interface Graph {
  name: string;
  nodes: Node[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Initializer[];
}

const IR_VERSION = 8;
export const OPSET_VERSION = 17;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

function writeValueInfo(writer: ProtoWriter, info: ValueInfo): void {
  writer.string(1, info.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.int(1, info.type).message(2, (shape) => {
        for (const dim of info.shape) {
          shape.message(1, (d) => (typeof dim === 'number' ? d.int(1, dim) : d.string(2, dim)));
        }
      }),
    ),
  );
}

function writeNode(writer: ProtoWriter, node: Node): void {
  for (const input of node.inputs) writer.string(1, input);
  for (const output of node.outputs) writer.string(2, output);
  if (node.name) writer.string(3, node.name);
  writer.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    writer.message(5, (attribute) => {
      attribute.string(1, name);
      if (Array.isArray(value)) {
        attribute.int(20, ATTRIBUTE_INTS);
        for (const item of value) attribute.int(8, item);
      } else {
        attribute.int(20, ATTRIBUTE_INT).int(3, value);
      }
    });
  }
}

function writeInitializer(writer: ProtoWriter, initializer: Initializer): void {
  for (const dim of initializer.dims) writer.int(1, dim);
  writer
    .int(2, TensorType.float)
    .string(8, initializer.name)
    .bytes(9, new Uint8Array(initializer.values.buffer, initializer.values.byteOffset, initializer.values.byteLength));
}

/** Serialises a graph as an ONNX ModelProto (default domain, opset 17). */
export function encodeModel(graph: Graph, producer = 'cot-studio'): Uint8Array {
  return new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, producer)
    .message(7, (g) => {
      for (const node of graph.nodes) g.message(1, (n) => writeNode(n, node));
      g.string(2, graph.name);
      for (const initializer of graph.initializers) g.message(5, (t) => writeInitializer(t, initializer));
      for (const input of graph.inputs) g.message(11, (v) => writeValueInfo(v, input));
      for (const output of graph.outputs) g.message(12, (v) => writeValueInfo(v, output));
    })
    .message(8, (opset) => opset.string(1, '').int(2, OPSET_VERSION))
    .finish();
}
