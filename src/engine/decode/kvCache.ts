import type * as Ort from 'onnxruntime-node';
import type { DecoderShape } from '../model/session';

/** float16 travels as raw 16-bit words; the cache copies them without converting. */
type KvData = Float32Array | Uint16Array;

/** One layer's key and value tensors, [batch, kvHeads, length, headDim] each. */
export interface LayerKv {
  key: Ort.Tensor;
  value: Ort.Tensor;
}

/**
 * The attention keys and values of a batch of sequences that all cover the same number of tokens. Rows can
 * be picked (to fan one prompt out to N candidates, or to drop finished ones) and cut to a shorter prefix,
 * which is what the prefix cache stores and resumes from.
 */
export class KvCache {
  constructor(
    readonly layers: LayerKv[],
    readonly batch: number,
    /** Tokens covered per row. */
    readonly length: number,
  ) {}

  static empty(ort: typeof Ort, shape: DecoderShape, batch: number): KvCache {
    const dims = [batch, shape.kvHeads, 0, shape.headDim];
    const make = () =>
      shape.kvType === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
    return new KvCache(
      Array.from({ length: shape.layers }, () => ({ key: make(), value: make() })),
      batch,
      0,
    );
  }

  /** Bytes held, for the prefix cache's memory bound. */
  get bytes(): number {
    return this.layers.reduce((sum, layer) => sum + layer.key.size * 2 * (layer.key.type === 'float16' ? 2 : 4), 0);
  }

  /**
   * A new cache whose row i is row `rows[i]` of this one, cut to the first `length` tokens. Rows may repeat,
   * which is how a prompt computed once becomes the past of N candidates.
   */
  async select(ort: typeof Ort, rows: readonly number[], length = this.length): Promise<KvCache> {
    if (length > this.length) throw new RangeError(`cannot extend a ${this.length}-token cache to ${length}`);
    const layers: LayerKv[] = [];
    for (const layer of this.layers) {
      layers.push({ key: await pick(ort, layer.key, rows, length), value: await pick(ort, layer.value, rows, length) });
    }
    return new KvCache(layers, rows.length, length);
  }

  /** Frees device memory when the tensors live on a GPU; CPU tensors are left to the garbage collector. */
  dispose(): void {
    for (const layer of this.layers) {
      if (layer.key.location !== 'cpu') layer.key.dispose();
      if (layer.value.location !== 'cpu') layer.value.dispose();
    }
  }
}

async function pick(ort: typeof Ort, tensor: Ort.Tensor, rows: readonly number[], length: number): Promise<Ort.Tensor> {
  const [, heads, total, headDim] = tensor.dims as [number, number, number, number];
  const source = (tensor.location === 'cpu' ? tensor.data : await tensor.getData()) as KvData;
  const rowSize = heads * total * headDim;
  const outRowSize = heads * length * headDim;
  const out = source instanceof Uint16Array ? new Uint16Array(rows.length * outRowSize) : new Float32Array(rows.length * outRowSize);
  rows.forEach((row, i) => {
    if (length === total) {
      out.set(source.subarray(row * rowSize, (row + 1) * rowSize), i * outRowSize);
      return;
    }
    for (let head = 0; head < heads; head++) {
      const from = row * rowSize + head * total * headDim;
      out.set(source.subarray(from, from + length * headDim), i * outRowSize + head * length * headDim);
    }
  });
  const dims = [rows.length, heads, length, headDim];
  return out instanceof Uint16Array ? new ort.Tensor('float16', out, dims) : new ort.Tensor('float32', out, dims);
}
