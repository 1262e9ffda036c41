import type * as Ort from 'onnxruntime-node';
import { fromFloat16 } from '../../onnx';
import { type DecoderShape, pastName, presentName } from '../model/session';
import { KvCache, type LayerKv } from './kvCache';

export interface ForwardResult {
  /** The logits at the last position of each row. */
  lastLogits: Float32Array[];
  present: KvCache;
}

/**
 * One model call: every row feeds the same number of new tokens after the same number of past tokens.
 * That is all the decode needs, since candidates fan out from a shared prompt and advance in step.
 */
export class Forward {
  /** Tokens run through the model since creation, for the prefix-reuse figure. */
  tokensComputed = 0;

  constructor(
    protected readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    readonly shape: DecoderShape,
  ) {}

  async run(rows: readonly (readonly number[])[], past: KvCache): Promise<ForwardResult> {
    const { ort, shape } = this;
    const batch = rows.length;
    const width = rows[0]?.length ?? 0;
    if (batch !== past.batch) throw new RangeError(`${batch} rows for a past of ${past.batch}`);
    if (rows.some((row) => row.length !== width)) throw new RangeError('rows of one call feed the same number of tokens');
    const total = past.length + width;
    const feeds: Record<string, Ort.Tensor> = {
      ...(await this.tokenFeeds(rows, past.length)),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(batch * total).fill(1n), [batch, total]),
    };
    if (shape.hasUseCacheBranch) feeds.use_cache_branch = new ort.Tensor('bool', [past.length > 0], [1]);
    if (shape.hasNumLogitsToKeep) {
      const name = this.session.inputNames.includes('num_logits_to_keep') ? 'num_logits_to_keep' : 'logits_to_keep';
      feeds[name] = new ort.Tensor('int64', BigInt64Array.from([1n]), []);
    }
    past.layers.forEach((layer, i) => {
      feeds[pastName(i, 'key')] = layer.key;
      feeds[pastName(i, 'value')] = layer.value;
    });
    const outputs = await this.session.run(feeds);
    this.tokensComputed += batch * width;
    const logits = outputs.logits as Ort.Tensor;
    const [, positionsOut, vocab] = logits.dims as [number, number, number];
    const data = (logits.location === 'cpu' ? logits.data : await logits.getData()) as Float32Array | Uint16Array;
    const lastLogits = Array.from({ length: batch }, (_, r) => {
      const from = (r * positionsOut + positionsOut - 1) * vocab;
      return data instanceof Float32Array ? data.slice(from, from + vocab) : fromFloat16(data.subarray(from, from + vocab));
    });
    const layers: LayerKv[] = Array.from({ length: shape.layers }, (_, i) => ({
      key: outputs[presentName(i, 'key')] as Ort.Tensor,
      value: outputs[presentName(i, 'value')] as Ort.Tensor,
    }));
    // On a GPU every output stays on the device; what the cache does not keep is freed here.
    const kept = new Set(layers.flatMap((layer) => [layer.key, layer.value]));
    for (const output of Object.values(outputs)) if (output.location !== 'cpu' && !kept.has(output)) output.dispose();
    return { lastLogits, present: new KvCache(layers, batch, total) };
  }

  /** The new tokens as the decoder takes them: their ids, and their positions when the graph asks for them. */
  protected async tokenFeeds(rows: readonly (readonly number[])[], pastLength: number): Promise<Record<string, Ort.Tensor>> {
    const { ort } = this;
    const batch = rows.length;
    const width = rows[0]?.length ?? 0;
    const ids = new BigInt64Array(batch * width);
    const positions = new BigInt64Array(batch * width);
    rows.forEach((row, r) => {
      row.forEach((token, i) => {
        ids[r * width + i] = BigInt(token);
        positions[r * width + i] = BigInt(pastLength + i);
      });
    });
    return {
      input_ids: new ort.Tensor('int64', ids, [batch, width]),
      ...(this.shape.hasPositionIds ? { position_ids: new ort.Tensor('int64', positions, [batch, width]) } : {}),
    };
  }
}
