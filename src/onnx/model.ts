import { ProtoWriter } from './protobuf';

/** ONNX TensorProto.DataType values used here. */
export const TensorType = { float: 1, int64: 7, bool: 9, float16: 10 } as const;
export type TensorTypeCode = (typeof TensorType)[keyof typeof TensorType];

/** A dimension is a fixed size or a symbolic name such as `batch_size`. */
export type Dimension = number | string;

export interface ValueInfo {
  name: string;
  type: TensorTypeCode;
  shape: Dimension[];
}

/** Initializer data; the array type picks the tensor type, and a Uint16Array holds IEEE half-precision bits. */
export type TensorValues = Float32Array | BigInt64Array | Uint16Array;

export interface Initializer {
  name: string;
  dims: number[];
  values: TensorValues;
}

/** Plain numbers are INT attributes, so a float attribute says so explicitly. */
export interface FloatAttribute {
  float: number;
}
export type AttributeValue = number | number[] | FloatAttribute;

export const floatAttribute = (value: number): FloatAttribute => ({ float: value });

export interface Node {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, AttributeValue>;
}

export interface Graph {
  name: string;
  nodes: Node[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Initializer[];
}

/** Where an initializer's bytes lie in the external data file. */
export interface ExternalTensor {
  location: string;
  offset: number;
  length: number;
}

const IR_VERSION = 8;
export const OPSET_VERSION = 17;
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;
const DATA_LOCATION_EXTERNAL = 1;

function tensorType(values: TensorValues): TensorTypeCode {
  if (values instanceof Float32Array) return TensorType.float;
  if (values instanceof BigInt64Array) return TensorType.int64;
  return TensorType.float16;
}

/** The little-endian bytes of the values (every platform onnxruntime ships for is little-endian). */
export const tensorBytes = (values: TensorValues): Uint8Array => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

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

function writeAttribute(writer: ProtoWriter, name: string, value: AttributeValue): void {
  writer.string(1, name);
  if (Array.isArray(value)) {
    writer.int(20, ATTRIBUTE_INTS);
    for (const item of value) writer.int(8, item);
  } else if (typeof value === 'number') {
    writer.int(20, ATTRIBUTE_INT).int(3, value);
  } else {
    writer.int(20, ATTRIBUTE_FLOAT).float(2, value.float);
  }
}

function writeNode(writer: ProtoWriter, node: Node): void {
  for (const input of node.inputs) writer.string(1, input);
  for (const output of node.outputs) writer.string(2, output);
  if (node.name) writer.string(3, node.name);
  writer.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    writer.message(5, (attribute) => writeAttribute(attribute, name, value));
  }
}

function writeInitializer(writer: ProtoWriter, initializer: Initializer, external: ExternalTensor | undefined): void {
  for (const dim of initializer.dims) writer.int(1, dim);
  writer.int(2, tensorType(initializer.values)).string(8, initializer.name);
  if (!external) {
    writer.bytes(9, tensorBytes(initializer.values));
    return;
  }
  const entries: [string, string][] = [
    ['location', external.location],
    ['offset', String(external.offset)],
    ['length', String(external.length)],
  ];
  for (const [key, value] of entries) writer.message(13, (entry) => entry.string(1, key).string(2, value));
  writer.int(14, DATA_LOCATION_EXTERNAL);
}

/**
 * The ModelProto of a graph (default domain, opset 17), unjoined. Initializers named in `external` are
 * written as references into an external data file instead of inline.
 */
export function modelProto(graph: Graph, producer = 'cot-studio', external: ReadonlyMap<string, ExternalTensor> = new Map()): ProtoWriter {
  return new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, producer)
    .message(7, (g) => {
      for (const node of graph.nodes) g.message(1, (n) => writeNode(n, node));
      g.string(2, graph.name);
      for (const initializer of graph.initializers) g.message(5, (t) => writeInitializer(t, initializer, external.get(initializer.name)));
      for (const input of graph.inputs) g.message(11, (v) => writeValueInfo(v, input));
      for (const output of graph.outputs) g.message(12, (v) => writeValueInfo(v, output));
    })
    .message(8, (opset) => opset.string(1, '').int(2, OPSET_VERSION));
}

/** Serialises a graph as an ONNX ModelProto with every initializer inline. */
export function encodeModel(graph: Graph, producer = 'cot-studio'): Uint8Array {
  return modelProto(graph, producer).finish();
}
