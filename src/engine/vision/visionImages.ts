import type { z } from 'zod';
import { createHash } from 'node:crypto';
import type * as Ort from 'onnxruntime-node';
import type { ExecutionProvider } from '../../protocol';
import { type ModelFolder, ModelFolderError, type VisionFiles } from '../model/folder';
import { createModelSession, type DecoderShape, type ProviderAttempt } from '../model/session';
import { type ImagePrompt, ImagePromptForward } from './imagePromptForward';
import type { RopePositions } from './qwen2vlPrompt';

/** An image ready for the decoder: the encoder's features (one row per image token), its family's layout, its cache key. */
export interface EncodedImage<Layout> {
  features: Float32Array;
  /** Image tokens the image takes in the prompt. */
  tokens: number;
  layout: Layout;
  key: number;
}

/** What the decoder runs for one request: the expanded prompt, its key in the prefix cache and the image features. */
export interface VisionPrompt {
  ids: number[];
  cacheKey: number[];
  image: ImagePrompt | undefined;
}

/** The first field of a model's config that a family's schema refused, for an error that names it. */
export const refusedField = (error: z.ZodError, fallback: string): string => error.issues[0]?.path.join('.') || fallback;

/** Images encoded lately, by their bytes: a tree search asks about one image many times and encodes it once. */
const ENCODED_KEPT = 8;

/** What the prefix cache knows an image by: a number no token id takes (negative), from a hash of its bytes or pixels. */
export function imageKey(data: ArrayBufferView): number {
  const digest = createHash('sha256')
    .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    .digest();
  return -1 - digest.readUIntBE(0, 6);
}

/**
 * The prompt as the prefix cache knows it: each image's tokens (`counts[i]` of them, in order) stand for that
 * image (`keys[i]`), so that a cached prefix of one image is never resumed for another.
 */
export function imageCacheKey(ids: readonly number[], imageTokenId: number, counts: readonly number[], keys: readonly number[]): number[] {
  const key: number[] = [];
  let image = 0;
  let left = 0;
  for (const id of ids) {
    if (id !== imageTokenId) {
      key.push(id);
      continue;
    }
    if (left === 0) left = counts[image] as number;
    key.push(keys[image] as number);
    left -= 1;
    if (left === 0) image += 1;
  }
  return key;
}

/** The sessions every vision-language export has besides its decoder, and the forward pass that joins them. */
export interface VisionSessions {
  encoder: Ort.InferenceSession;
  embed: Ort.InferenceSession;
  forward: ImagePromptForward;
  attempts: ProviderAttempt[];
  /** The type the encoder takes pixels in. */
  pixelsType: 'float32' | 'float16';
}

/** What a family's image side is loaded from: the folder, its vision files, and the decoder already loaded. */
export interface VisionLoad {
  ort: typeof Ort;
  folder: ModelFolder;
  vision: VisionFiles;
  decoder: Ort.InferenceSession;
  shape: DecoderShape;
  provider: ExecutionProvider;
}

/** The vision encoder and the token embeddings on the decoder's provider, checked for the inputs the engine feeds. */
export async function loadVisionSessions({ ort, folder, vision, decoder, shape, provider }: VisionLoad, imageTokenId: number): Promise<VisionSessions> {
  const encoder = await createModelSession(ort, vision.encoderFile, provider, 'input');
  const embed = await createModelSession(ort, vision.embedFile, provider, 'input').catch(async (error: unknown) => {
    await encoder.session.release();
    throw error;
  });
  try {
    for (const [session, file, input] of [
      [encoder.session, vision.encoderFile, 'pixel_values'],
      [embed.session, vision.embedFile, 'input_ids'],
    ] as const) {
      if (!session.inputNames.includes(input)) throw new ModelFolderError(`${file}: expected an input '${input}', found ${session.inputNames.join(', ')}`);
    }
    const pixels = encoder.session.inputMetadata.find((entry) => entry.name === 'pixel_values');
    const embedded = embed.session.outputMetadata.find((entry) => entry.name === 'inputs_embeds');
    const width = embedded?.isTensor ? embedded.shape[2] : undefined;
    const hidden = typeof width === 'number' ? width : folder.config.hidden_size;
    if (hidden === undefined) throw new ModelFolderError(`${vision.embedFile}: the width of inputs_embeds is symbolic and config.json gives no hidden_size`);
    return {
      encoder: encoder.session,
      embed: embed.session,
      forward: new ImagePromptForward(ort, decoder, shape, { embed: embed.session, imageTokenId, hidden }),
      attempts: [...encoder.attempts, ...embed.attempts],
      pixelsType: pixels?.isTensor && pixels.type === 'float16' ? 'float16' : 'float32',
    };
  } catch (error) {
    await Promise.all([encoder.session.release(), embed.session.release()]);
    throw error;
  }
}

/**
 * The image side of a vision-language model: its processor and vision encoder (`encodeImage`, per family), how
 * its prompt makes room for the images (`prompt`, per family), and what every family shares: encoding each
 * distinct image once, the features in prompt order, and the prefix cache's key.
 */
export abstract class VisionImages<Layout> {
  private readonly encoded = new Map<string, EncodedImage<Layout>>();

  protected constructor(
    protected readonly sessions: VisionSessions,
    readonly imageTokenId: number,
  ) {}

  get forward(): ImagePromptForward {
    return this.sessions.forward;
  }

  get attempts(): ProviderAttempt[] {
    return this.sessions.attempts;
  }

  /** One image (the `index`th of its request, for errors) decoded, preprocessed and encoded now, whether or not it was lately. */
  abstract encodeImage(dataUri: string, index?: number): Promise<EncodedImage<Layout>>;

  /**
   * The rendered prompt's text as the decoder reads it, its images' placeholders expanded to their tokens; the
   * forward pass is set to feed their features. A text prompt without placeholders gets its images first.
   */
  abstract prompt(text: string, tokenize: (text: string) => number[], images: readonly EncodedImage<Layout>[]): VisionPrompt;

  /** Each image through the processor and the vision encoder, once per distinct image however many candidates share it. */
  async encode(images: readonly string[]): Promise<EncodedImage<Layout>[]> {
    const encoded: EncodedImage<Layout>[] = [];
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

  /** The expanded ids with the images' features in order (and 3-D positions where the family has them), set on the forward pass. */
  protected expanded(ids: number[], images: readonly EncodedImage<Layout>[], positions?: RopePositions): VisionPrompt {
    const placeholders = ids.filter((id) => id === this.imageTokenId).length;
    const expected = images.reduce((sum, image) => sum + image.tokens, 0);
    if (placeholders !== expected) {
      throw new Error(`the prompt has ${placeholders} image tokens where its ${images.length} image${images.length === 1 ? '' : 's'} take ${expected}`);
    }
    if (images.length === 0) {
      this.forward.usePrompt(undefined);
      return { ids, cacheKey: ids, image: undefined };
    }
    const features = new Float32Array(images.reduce((sum, image) => sum + image.features.length, 0));
    let at = 0;
    for (const image of images) {
      features.set(image.features, at);
      at += image.features.length;
    }
    const image: ImagePrompt = { ids, features, ...(positions ? { positions } : {}) };
    this.forward.usePrompt(image);
    const cacheKey = imageCacheKey(
      ids,
      this.imageTokenId,
      images.map((one) => one.tokens),
      images.map((one) => one.key),
    );
    return { ids, cacheKey, image };
  }

  /** Says how many placeholders a prompt holds for its images, when they do not match. */
  protected placeholderError(found: number, images: number): Error {
    return new Error(
      `${images} image${images === 1 ? '' : 's'} for a prompt with ${found} image placeholder${found === 1 ? '' : 's'}: ` +
        'a text prompt holds one placeholder per image, or none (the images then go first)',
    );
  }

  async release(): Promise<void> {
    this.encoded.clear();
    await Promise.all([this.sessions.encoder.release(), this.sessions.embed.release()]);
  }
}
