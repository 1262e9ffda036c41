import type * as Ort from 'onnxruntime-node';
import { fromFloat16, toFloat16 } from '../../onnx';
import { Forward } from '../decode/forward';
import type { DecoderShape } from '../model/session';
import type { RopePositions } from './qwen2vlPrompt';

/** A prompt with its images, as a vision-language decoder reads it. */
export interface ImagePrompt {
  /** The prompt's ids, each image's placeholder expanded to its tokens. */
  ids: readonly number[];
  /** Positions on three axes (M-RoPE: Qwen2-VL); a decoder with 1-D positions counts the tokens. */
  positions?: RopePositions;
  /** The vision encoder's output: one row of `hidden` values per image token, in the order of the prompt. */
  features: Float32Array;
}

/** The embeddings session and what the decoder reads from the prompt. */
export interface EmbeddingInputs {
  embed: Ort.InferenceSession;
  imageTokenId: number;
  hidden: number;
}

/**
 * The forward pass of a vision-language decoder that takes embeddings (`decoder_model_merged`): the token
 * embeddings come from `embed_tokens`, the image tokens of the prompt take the image features instead. Positions
 * count the tokens, or (Qwen2-VL's M-RoPE) have three axes: the prompt's own, then one per token after it on every
 * axis. The prompt is set per request (`usePrompt`); without one the model reads text only, as a text model would.
 */
export class ImagePromptForward extends Forward {
  private prompt: ImagePrompt | undefined;
  /** Prompt index of each image token to its row of features, and the features in the embeddings' own type. */
  private rows = new Map<number, number>();
  private features: Float32Array | Uint16Array = new Float32Array();

  constructor(
    ort: typeof Ort,
    decoder: Ort.InferenceSession,
    shape: DecoderShape,
    private readonly inputs: EmbeddingInputs,
  ) {
    super(ort, decoder, shape);
  }

  usePrompt(prompt: ImagePrompt | undefined): void {
    this.prompt = prompt;
    this.rows = new Map();
    if (!prompt) return;
    prompt.ids.forEach((id, index) => {
      if (id === this.inputs.imageTokenId) this.rows.set(index, this.rows.size);
    });
    const expected = this.rows.size * this.inputs.hidden;
    if (prompt.features.length !== expected) {
      throw new RangeError(`${this.rows.size} image tokens take ${expected} feature values; the images gave ${prompt.features.length}`);
    }
    this.features = this.shape.embeddingsType === 'float16' ? toFloat16(prompt.features) : prompt.features;
  }

  protected override async tokenFeeds(rows: readonly (readonly number[])[], pastLength: number): Promise<Record<string, Ort.Tensor>> {
    const { ort, prompt } = this;
    const { hidden } = this.inputs;
    const batch = rows.length;
    const width = rows[0]?.length ?? 0;
    const ids = new ort.Tensor(
      'int64',
      BigInt64Array.from(rows.flat(), (token) => BigInt(token)),
      [batch, width],
    );
    const embedded = (await this.inputs.embed.run({ input_ids: ids })).inputs_embeds as Ort.Tensor;
    const data = embedded.data as Float32Array | Uint16Array;
    const axes = this.shape.positionAxes ?? 1;
    const positions = new BigInt64Array(axes * batch * width);
    const promptLength = prompt?.ids.length ?? 0;
    const rope = prompt?.positions;
    rows.forEach((row, r) => {
      row.forEach((token, i) => {
        const at = pastLength + i;
        const feature = at < promptLength && token === this.inputs.imageTokenId ? this.rows.get(at) : undefined;
        if (feature !== undefined) data.set(this.features.subarray(feature * hidden, (feature + 1) * hidden), (r * width + i) * hidden);
        for (let axis = 0; axis < axes; axis++) {
          const position = rope === undefined ? at : at < promptLength ? (rope.axes[axis]?.[at] as number) : at + rope.delta;
          positions[(axis * batch + r) * width + i] = BigInt(position);
        }
      });
    });
    return {
      inputs_embeds: new ort.Tensor(data instanceof Float32Array ? 'float32' : 'float16', data, [batch, width, hidden]),
      position_ids: new ort.Tensor('int64', positions, axes === 1 ? [batch, width] : [axes, batch, width]),
    };
  }
}

/** The vision encoder's output as float32, whatever type the export gives. */
export function featureValues(features: Ort.Tensor): Float32Array {
  const data = features.data as Float32Array | Uint16Array;
  return data instanceof Float32Array ? data : fromFloat16(data);
}
