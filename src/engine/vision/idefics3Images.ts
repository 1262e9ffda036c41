import type * as Ort from 'onnxruntime-node';
import { z } from 'zod';
import { toFloat16 } from '../../onnx';
import { type ModelFolder, ModelFolderError, type VisionFiles } from '../model/folder';
import { decodeImage, type Idefics3Processed, idefics3Preprocessor, type ImagePixels } from './imageProcessor';
import { featureValues } from './imagePromptForward';
import {
  type EncodedImage,
  imageKey,
  loadVisionSessions,
  refusedField,
  VisionImages,
  type VisionLoad,
  type VisionPrompt,
  type VisionSessions,
} from './visionImages';

/** How an image's tiles lie: rows and columns of tiles, 0 and 0 for one global view. */
export interface TileGrid {
  rows: number;
  columns: number;
}

/** The markup Idefics3's processor writes around an image's tokens (fixed by the architecture, as its processor has it). */
export const IDEFICS3_MARKUP = { image: '<image>', around: '<fake_token_around_image>', global: '<global-img>' } as const;

const idefics3ConfigSchema = z.looseObject({
  image_token_id: z.number().int().min(0),
  scale_factor: z.number().int().positive().default(2),
  vision_config: z.looseObject({ image_size: z.number().int().positive(), patch_size: z.number().int().positive() }),
});

/** Image tokens of one tile or of the global view: the encoder's patches after the connector's pixel shuffle. */
function tileTokens(folder: ModelFolder, vision: VisionFiles): { imageTokenId: number; tokensPerTile: number } {
  const parsed = idefics3ConfigSchema.safeParse(folder.config);
  if (!parsed.success)
    throw new ModelFolderError(`${folder.dir}/config.json: an ${folder.config.model_type} model needs ${refusedField(parsed.error, 'image_token_id')}`);
  const { image_size: size, patch_size: patch } = parsed.data.vision_config;
  const computed = (size / patch) ** 2 / parsed.data.scale_factor ** 2;
  const given = vision.processor.image_seq_len;
  if (given !== undefined && given !== computed) {
    throw new ModelFolderError(`${folder.dir}/processor_config.json says image_seq_len ${String(given)} but config.json's sizes give ${computed}`);
  }
  if (!Number.isInteger(computed))
    throw new ModelFolderError(`${folder.dir}/config.json: image_size ${size} / patch_size ${patch} / scale_factor do not give whole tokens`);
  return { imageTokenId: parsed.data.image_token_id, tokensPerTile: computed };
}

/** An image's text as Idefics3's processor writes it in place of `<image>`: each tile's tokens after its row and column, then the global view's. */
export function idefics3ImageText({ rows, columns }: TileGrid, tokensPerTile: number): string {
  const { image, around, global } = IDEFICS3_MARKUP;
  const tokens = image.repeat(tokensPerTile);
  const globalView = `${around}${global}${tokens}${around}`;
  if (rows === 0 && columns === 0) return globalView;
  let text = '';
  for (let row = 1; row <= rows; row++) {
    for (let column = 1; column <= columns; column++) text += `${around}<row_${row}_col_${column}>${tokens}`;
    text += '\n';
  }
  return `${text}\n${globalView}`;
}

/**
 * The image side of an Idefics3 / SmolVLM export: transformers.js's Idefics3ImageProcessor (tiles of the encoder's
 * size and a global view), the vision encoder (`pixel_values` [1, tiles, 3, size, size] and `pixel_attention_mask`
 * to `image_features` [tiles, tokens, hidden]), and the text each image's `<image>` becomes. Positions are 1-D.
 */
export class Idefics3Images extends VisionImages<TileGrid> {
  private constructor(
    sessions: VisionSessions,
    private readonly ort: typeof Ort,
    private readonly preprocess: (image: ImagePixels) => Promise<Idefics3Processed>,
    imageTokenId: number,
    readonly tokensPerTile: number,
  ) {
    super(sessions, imageTokenId);
  }

  static async load(load: VisionLoad): Promise<Idefics3Images> {
    const { imageTokenId, tokensPerTile } = tileTokens(load.folder, load.vision);
    const preprocess = await idefics3Preprocessor(load.vision);
    const sessions = await loadVisionSessions(load, imageTokenId);
    return new Idefics3Images(sessions, load.ort, preprocess, imageTokenId, tokensPerTile);
  }

  async encodeImage(dataUri: string, index = 0): Promise<EncodedImage<TileGrid>> {
    const { ort, sessions } = this;
    const image = await decodeImage(dataUri, index);
    const { pixels, dims, rows, columns } = await this.preprocess(image);
    const [, tiles = 1, , height = 0, width = 0] = dims;
    const feeds: Record<string, Ort.Tensor> = {
      pixel_values: sessions.pixelsType === 'float16' ? new ort.Tensor('float16', toFloat16(pixels), dims) : new ort.Tensor('float32', pixels, dims),
    };
    // Every tile is whole (one image per request row): nothing of it is padding.
    if (sessions.encoder.inputNames.includes('pixel_attention_mask')) {
      feeds.pixel_attention_mask = new ort.Tensor('bool', new Uint8Array(tiles * height * width).fill(1), [1, tiles, height, width]);
    }
    const outputs = await sessions.encoder.run(feeds);
    const features = outputs.image_features ?? Object.values(outputs)[0];
    if (!features) throw new ModelFolderError('the vision encoder gave no image_features');
    return { features: featureValues(features), tokens: tiles * this.tokensPerTile, layout: { rows, columns }, key: imageKey(image.bytes) };
  }

  /** The chat template writes `<image>` per image; each becomes its tiles' and global view's tokens, as text, before tokenizing. */
  prompt(text: string, tokenize: (text: string) => number[], images: readonly EncodedImage<TileGrid>[]): VisionPrompt {
    const { image } = IDEFICS3_MARKUP;
    const placeholders = text.split(image).length - 1;
    if (placeholders !== 0 && placeholders !== images.length) throw this.placeholderError(placeholders, images.length);
    const pieces = (placeholders === 0 ? `${image.repeat(images.length)}${text}` : text).split(image);
    const written = pieces.reduce(
      (joined, piece, i) => `${joined}${idefics3ImageText((images[i - 1] as EncodedImage<TileGrid>).layout, this.tokensPerTile)}${piece}`,
    );
    return this.expanded(tokenize(written), images);
  }
}
