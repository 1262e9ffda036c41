import type * as Ort from 'onnxruntime-node';
import type { ModelFolder } from '../../engine/model/folder';
import { createModelSession, type DecoderShape, pastName, presentName, readDecoderShape } from '../../engine/model/session';
import type { ExecutionProvider } from '../../protocol';
import type { ImagePrompt } from '../../engine/vision/imagePromptForward';
import { toFloat16 } from '../../onnx';

/** A vision-language prompt's images as the bare loop feeds them: features at the image tokens, 3-D positions. */
export interface BareImages {
  prompt: ImagePrompt;
  imageTokenId: number;
}

const int64 = (ort: typeof Ort, values: readonly number[], dims: number[]): Ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);

/** IEEE half bits mapped to integers in the order of the values they encode, so fp16 logits need no conversion. */
const halfOrder = (bits: number): number => (bits & 0x8000 ? 0x7fff - (bits & 0x7fff) : 0x8000 + bits);

/** The best token at the last position of a [1, positions, vocab] logits tensor. */
function argmaxLast(logits: Ort.Tensor): number {
  const vocab = logits.dims[2] as number;
  const data = logits.data as Float32Array | Uint16Array;
  const from = data.length - vocab;
  const key = data instanceof Uint16Array ? (i: number) => halfOrder(data[from + i] as number) : (i: number) => data[from + i] as number;
  let best = 0;
  for (let i = 1; i < vocab; i++) if (key(i) > key(best)) best = i;
  return best;
}

/**
 * The baseline of decoding: the same model file in a session made the same way, each step feeding the last
 * token and the previous step's `present.*` as `past_key_values.*`, taking the argmax. No sampling, stop
 * strings, detokenizing or KV copies. A vision-language decoder is fed the embeddings of its `embed_tokens`
 * graph, the prompt's image tokens taking the image features, and 3-D positions.
 */
export class BareLoop {
  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    private readonly shape: DecoderShape,
    private readonly embed?: Ort.InferenceSession,
  ) {}

  static async load(folder: ModelFolder, provider: ExecutionProvider): Promise<BareLoop> {
    const ort = (await import('onnxruntime-node')) as typeof Ort;
    const { session } = await createModelSession(ort, folder.modelFile, provider);
    if (!folder.vision) return new BareLoop(ort, session, readDecoderShape(session, folder));
    const { session: embed } = await createModelSession(ort, folder.vision.embedFile, provider, 'input');
    return new BareLoop(ort, session, readDecoderShape(session, folder, 'embeddings'), embed);
  }

  /** The new tokens as the decoder takes them: ids, or embeddings with the image features and 3-D positions. */
  private async inputFeeds(input: readonly number[], length: number, images: BareImages | undefined): Promise<Record<string, Ort.Tensor>> {
    const { ort, shape, embed } = this;
    if (!embed) {
      return {
        input_ids: int64(ort, input, [1, input.length]),
        ...(shape.hasPositionIds
          ? {
              position_ids: int64(
                ort,
                input.map((_, i) => length + i),
                [1, input.length],
              ),
            }
          : {}),
      };
    }
    const embedded = (await embed.run({ input_ids: int64(ort, input, [1, input.length]) })).inputs_embeds as Ort.Tensor;
    const prompt = images?.prompt;
    const prefill = length === 0 && prompt !== undefined;
    if (prefill) {
      const hidden = embedded.dims[2] as number;
      const features = embedded.type === 'float16' ? toFloat16(prompt.features) : prompt.features;
      const data = embedded.data as Float32Array | Uint16Array;
      let row = 0;
      input.forEach((id, i) => {
        if (id === images?.imageTokenId) data.set(features.subarray(row * hidden, ++row * hidden), i * hidden);
      });
    }
    const rope = prompt?.positions;
    const count = shape.positionAxes ?? 1;
    const positions = Array.from({ length: count }, (_, axis) =>
      input.map((_, i) => (rope === undefined ? length + i : prefill ? (rope.axes[axis]?.[i] as number) : length + i + rope.delta)),
    ).flat();
    return { inputs_embeds: embedded, position_ids: int64(ort, positions, count === 1 ? [1, input.length] : [count, 1, input.length]) };
  }

  /** Greedy tokens after the prompt (and its images), and the time from the first model call to the last token. */
  async greedy(prompt: readonly number[], count: number, images?: BareImages): Promise<{ tokens: number[]; ms: number }> {
    const { ort, shape } = this;
    const empty = () => {
      const dims = [1, shape.kvHeads, 0, shape.headDim];
      return shape.kvType === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
    };
    let past: Ort.Tensor[] = Array.from({ length: 2 * shape.layers }, empty);
    let input = [...prompt];
    let length = 0;
    const tokens: number[] = [];
    const started = performance.now();
    while (tokens.length < count) {
      const feeds: Record<string, Ort.Tensor> = {
        ...(await this.inputFeeds(input, length, images)),
        attention_mask: int64(ort, new Array<number>(length + input.length).fill(1), [1, length + input.length]),
      };
      if (shape.hasUseCacheBranch) feeds.use_cache_branch = new ort.Tensor('bool', [length > 0], [1]);
      if (shape.hasNumLogitsToKeep)
        feeds[this.session.inputNames.includes('num_logits_to_keep') ? 'num_logits_to_keep' : 'logits_to_keep'] = int64(ort, [1], []);
      for (let layer = 0; layer < shape.layers; layer++) {
        feeds[pastName(layer, 'key')] = past[2 * layer] as Ort.Tensor;
        feeds[pastName(layer, 'value')] = past[2 * layer + 1] as Ort.Tensor;
      }
      const outputs = await this.session.run(feeds);
      // On a GPU the KV cache stays on the device; the previous step's copy is freed there.
      for (const tensor of past) if (tensor.location !== 'cpu') tensor.dispose();
      past = Array.from({ length: shape.layers }, (_, layer) => [
        outputs[presentName(layer, 'key')] as Ort.Tensor,
        outputs[presentName(layer, 'value')] as Ort.Tensor,
      ]).flat();
      length += input.length;
      const token = argmaxLast(outputs.logits as Ort.Tensor);
      tokens.push(token);
      input = [token];
    }
    const ms = performance.now() - started;
    for (const tensor of past) if (tensor.location !== 'cpu') tensor.dispose();
    return { tokens, ms };
  }

  async release(): Promise<void> {
    await this.embed?.release();
    await this.session.release();
  }
}
