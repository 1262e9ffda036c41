import { createHash } from 'node:crypto';
import type * as Ort from 'onnxruntime-node';
import { z } from 'zod';
import { toFloat16 } from '../../onnx';
import type { ExecutionProvider } from '../../protocol';
import { type ModelFolder, ModelFolderError, type VisionFiles } from '../model/folder';
import { createModelSession, type ProviderAttempt } from '../model/session';
import { decodeImage, type ImagePixels, preprocessorFor } from './imageProcessor';
import { featureValues, type ImagePrompt, ImagePromptForward } from './imagePromptForward';
import { expandImageTokens, type ImageGrid, imageCacheKey, imageKey, type Qwen2VlTokens, ropePositions } from './qwen2vlPrompt';
import type { DecoderShape } from '../model/session';

/** An image ready for the decoder: its patch grid, the encoder's features and what the prefix cache knows it by. */
export interface EncodedImage {
  grid: ImageGrid;
  features: Float32Array;
  key: number;
}

/** What the decoder runs for one request: the expanded prompt, its key in the prefix cache and the image features. */
export interface VisionPrompt {
  ids: number[];
  cacheKey: number[];
  image: ImagePrompt | undefined;
}

/** Images encoded lately, by their bytes: a tree search asks about one image many times and encodes it once. */
const ENCODED_KEPT = 8;

const qwen2VlConfigSchema = z.looseObject({
  image_token_id: z.number().int().min(0),
  vision_start_token_id: z.number().int().min(0),
  vision_end_token_id: z.number().int().min(0),
  vision_config: z.looseObject({ spatial_merge_size: z.number().int().positive().optional() }).optional(),
});

/**
 * The image side of a Qwen2-VL (or Qwen2.5-VL) export: its processor (transformers.js's Qwen2VLImageProcessor on
 * the folder's preprocessor_config.json), its vision encoder (`pixel_values`, `grid_thw` to `image_features`), and
 * the prompt expansion and 3-D positions the decoder reads them with.
 */
export class Qwen2VlImages {
  private readonly encoded = new Map<string, EncodedImage>();

  private constructor(
    private readonly ort: typeof Ort,
    private readonly encoder: Ort.InferenceSession,
    private readonly pixelsType: 'float32' | 'float16',
    private readonly preprocess: (image: ImagePixels) => Promise<{ pixels: Float32Array; dims: number[]; grid: ImageGrid }>,
    readonly tokens: Qwen2VlTokens,
    /** What the chat template writes for one image: vision start, the image placeholder, vision end. */
    private readonly markup: readonly number[],
    readonly forward: ImagePromptForward,
    readonly embed: Ort.InferenceSession,
    readonly attempts: ProviderAttempt[],
  ) {}

  /** The encoder and embeddings on the decoder's provider; the forward pass that feeds their outputs to the decoder. */
  static async load(
    ort: typeof Ort,
    folder: ModelFolder,
    vision: VisionFiles,
    decoder: Ort.InferenceSession,
    shape: DecoderShape,
    provider: ExecutionProvider,
  ): Promise<Qwen2VlImages> {
    const parsed = qwen2VlConfigSchema.safeParse(folder.config);
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path.join('.') ?? 'image_token_id';
      throw new ModelFolderError(`${folder.dir}/config.json: a ${folder.config.model_type} model needs ${field} (the id of its image tokens)`);
    }
    const mergeSize = Number(vision.preprocessor.merge_size ?? parsed.data.vision_config?.spatial_merge_size ?? Number.NaN);
    if (!Number.isInteger(mergeSize) || mergeSize < 1) {
      throw new ModelFolderError(
        `${folder.dir}/preprocessor_config.json: expected merge_size (patches merged per side), found ${String(vision.preprocessor.merge_size)}`,
      );
    }
    const preprocess = await preprocessorFor(vision);
    const encoder = await createModelSession(ort, vision.encoderFile, provider, 'input');
    const embed = await createModelSession(ort, vision.embedFile, provider, 'input').catch(async (error: unknown) => {
      await encoder.session.release();
      throw error;
    });
    for (const [session, file, input] of [
      [encoder.session, vision.encoderFile, 'pixel_values'],
      [embed.session, vision.embedFile, 'input_ids'],
    ] as const) {
      if (!session.inputNames.includes(input)) throw new ModelFolderError(`${file}: expected an input '${input}', found ${session.inputNames.join(', ')}`);
    }
    const pixels = encoder.session.inputMetadata.find((entry) => entry.name === 'pixel_values');
    const pixelsType = pixels?.isTensor && pixels.type === 'float16' ? 'float16' : 'float32';
    const embedded = embed.session.outputMetadata.find((entry) => entry.name === 'inputs_embeds');
    const width = embedded?.isTensor ? embedded.shape[2] : undefined;
    const hidden = typeof width === 'number' ? width : folder.config.hidden_size;
    if (hidden === undefined) throw new ModelFolderError(`${vision.embedFile}: the width of inputs_embeds is symbolic and config.json gives no hidden_size`);
    const tokens = { imageTokenId: parsed.data.image_token_id, mergeSize };
    const markup = [parsed.data.vision_start_token_id, parsed.data.image_token_id, parsed.data.vision_end_token_id];
    const forward = new ImagePromptForward(ort, decoder, shape, { embed: embed.session, imageTokenId: tokens.imageTokenId, hidden });
    return new Qwen2VlImages(ort, encoder.session, pixelsType, preprocess, tokens, markup, forward, embed.session, [...encoder.attempts, ...embed.attempts]);
  }

  /** Each image through the processor and the vision encoder, once per distinct image however many candidates share it. */
  async encode(images: readonly string[]): Promise<EncodedImage[]> {
    const encoded: EncodedImage[] = [];
    for (const [index, image] of images.entries()) {
      const digest = createHash('sha256').update(image).digest('hex');
      let found = this.encoded.get(digest);
      if (found === undefined) {
        found = await this.encodeImage(image, index);
        if (this.encoded.size >= ENCODED_KEPT) this.encoded.delete(this.encoded.keys().next().value as string);
      } else {
        this.encoded.delete(digest);
      }
      this.encoded.set(digest, found);
      encoded.push(found);
    }
    return encoded;
  }

  /** One image (the `index`th of its request, for errors) decoded, preprocessed and encoded now, whether or not it was lately. */
  async encodeImage(dataUri: string, index = 0): Promise<EncodedImage> {
    const { ort } = this;
    const image = await decodeImage(dataUri, index);
    const { pixels, dims, grid } = await this.preprocess(image);
    const outputs = await this.encoder.run({
      pixel_values: this.pixelsType === 'float16' ? new ort.Tensor('float16', toFloat16(pixels), dims) : new ort.Tensor('float32', pixels, dims),
      grid_thw: new ort.Tensor('int64', BigInt64Array.from([grid.t, grid.h, grid.w], BigInt), [1, 3]),
    });
    const features = outputs.image_features ?? Object.values(outputs)[0];
    if (!features) throw new ModelFolderError('the vision encoder gave no image_features');
    return { grid, features: featureValues(features), key: imageKey(image.bytes) };
  }

  /**
   * The prompt with each image's placeholder expanded to its tokens, their M-RoPE positions, and the key under which
   * the prefix cache keeps it; the forward pass is set to feed the images' features at their tokens.
   */
  prompt(text: readonly number[], images: readonly EncodedImage[]): VisionPrompt {
    const placeholders = text.filter((id) => id === this.tokens.imageTokenId).length;
    // A text prompt without placeholders (a reward model's template) gets its images first, as a chat template puts them.
    const ids = placeholders === 0 ? [...images.flatMap(() => this.markup), ...text] : text;
    if (placeholders !== 0 && placeholders !== images.length) {
      throw new Error(
        `${images.length} image${images.length === 1 ? '' : 's'} for a prompt with ${placeholders} image placeholder${placeholders === 1 ? '' : 's'}: ` +
          'a text prompt holds one placeholder per image, or none (the images then go first)',
      );
    }
    if (images.length === 0) {
      this.forward.usePrompt(undefined);
      return { ids: [...ids], cacheKey: [...ids], image: undefined };
    }
    const grids = images.map((image) => image.grid);
    const expanded = expandImageTokens(ids, grids, this.tokens);
    const total = images.reduce((sum, image) => sum + image.features.length, 0);
    const features = new Float32Array(total);
    let at = 0;
    for (const image of images) {
      features.set(image.features, at);
      at += image.features.length;
    }
    const image: ImagePrompt = { ids: expanded, positions: ropePositions(expanded, grids, this.tokens), features };
    this.forward.usePrompt(image);
    return {
      ids: expanded,
      cacheKey: imageCacheKey(
        expanded,
        grids,
        images.map((one) => one.key),
        this.tokens,
      ),
      image,
    };
  }

  async release(): Promise<void> {
    this.encoded.clear();
    await Promise.all([this.encoder.release(), this.embed.release()]);
  }
}
