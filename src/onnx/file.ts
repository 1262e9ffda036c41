import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ExternalTensor, type Graph, modelProto, tensorBytes } from './model';

/** Tensors smaller than this stay inline, as onnx's own external-data writer does. */
const EXTERNAL_MIN_BYTES = 1024;
/** Page-aligned offsets let onnxruntime map the weights instead of copying them. */
const EXTERNAL_ALIGNMENT = 4096;
/** Protocol buffers cannot exceed 2 GiB; larger models must keep their weights outside. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;

export interface WrittenModel {
  modelFile: string;
  /** `<model file>_data` (the name onnxruntime and transformers.js look for), when weights are external. */
  dataFile: string | undefined;
  /** Bytes written, model and data file together. */
  bytes: number;
}

function writeParts(file: string, parts: readonly Uint8Array[]): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const part of parts) fs.writeSync(fd, part);
  } finally {
    fs.closeSync(fd);
  }
}

function layoutExternal(graph: Graph, location: string): Map<string, ExternalTensor> {
  const layout = new Map<string, ExternalTensor>();
  let end = 0;
  for (const { name, values } of graph.initializers) {
    if (values.byteLength < EXTERNAL_MIN_BYTES) continue;
    const offset = Math.ceil(end / EXTERNAL_ALIGNMENT) * EXTERNAL_ALIGNMENT;
    layout.set(name, { location, offset, length: values.byteLength });
    end = offset + values.byteLength;
  }
  return layout;
}

function writeExternal(file: string, graph: Graph, layout: ReadonlyMap<string, ExternalTensor>): number {
  const fd = fs.openSync(file, 'w');
  let size = 0;
  try {
    for (const { name, values } of graph.initializers) {
      const placed = layout.get(name);
      if (!placed) continue;
      fs.writeSync(fd, tensorBytes(values), 0, placed.length, placed.offset);
      size = placed.offset + placed.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  return size;
}

/**
 * Writes a graph as an ONNX file, streaming its parts rather than joining them. With `externalData` the
 * larger initializers go to `<file>_data` beside it, referenced by relative location.
 */
export function writeModelFile(file: string, graph: Graph, options: { externalData?: boolean; producer?: string } = {}): WrittenModel {
  const dataFile = options.externalData ? `${file}_data` : undefined;
  const layout = dataFile ? layoutExternal(graph, path.basename(dataFile)) : new Map<string, ExternalTensor>();
  const proto = modelProto(graph, options.producer, layout);
  if (proto.byteLength > PROTOBUF_LIMIT) {
    throw new Error(`${file}: the model is ${proto.byteLength} bytes, over the 2 GiB protobuf limit; write its weights as external data`);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeParts(file, proto.parts());
  const dataBytes = dataFile ? writeExternal(dataFile, graph, layout) : 0;
  return { modelFile: file, dataFile, bytes: proto.byteLength + dataBytes };
}
