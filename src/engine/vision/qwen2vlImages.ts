import type * as Ort from 'onnxruntime-node';
import { z } from 'zod';
import { toFloat16 } from '../../onnx';
import { ModelFolderError } from '../model/folder';
import { decodeImage, qwen2VlPreprocessor, type Qwen2VlProcessed, type ImagePixels } from './imageProcessor';
import { featureValues } from './imagePromptForward';
import { expandImageTokens, type ImageGrid, imageTokenCount, type Qwen2VlTokens, ropePositions } from './qwen2vlPrompt';
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

const qwen2VlConfigSchema = z.looseObject({
  image_token_id: z.number().int().min(0),
  vision_start_token_id: z.number().int().min(0),
  vision_end_token_id: z.number().int().min(0),
  vision_config: z.looseObject({ spatial_merge_size: z.number().int().positive().optional() }).optional(),
});

/**
 * The image side of a Qwen2-VL (or Qwen2.5-VL) export: its processor (transformers.js's Qwen2VLImageProcessor on
 * the folder's preprocessor_config.json), its vision encoder (`pixel_values`, `grid_thw` to `image_features`), and
 * the prompt expansion and 3-D positions (M-RoPE) the decoder reads them with.
 */
export class Qwen2VlImages extends VisionImages<ImageGrid> {
  private constructor(
    sessions: VisionSessions,
    private readonly ort: typeof Ort,
    private readonly preprocess: (image: ImagePixels) => Promise<Qwen2VlProcessed>,
    readonly tokens: Qwen2VlTokens,
    /** What the chat template writes for one image: vision start, the image placeholder, vision end. */
    private readonly markup: readonly number[],
  ) {
    super(sessions, tokens.imageTokenId);
  }

  static async load(load: VisionLoad): Promise<Qwen2VlImages> {
    const { folder, vision } = load;
    const parsed = qwen2VlConfigSchema.safeParse(folder.config);
    if (!parsed.success) {
      throw new ModelFolderError(`${folder.dir}/config.json: a ${folder.config.model_type} model needs ${refusedField(parsed.error, 'image_token_id')}`);
    }
    const mergeSize = Number(vision.preprocessor.merge_size ?? parsed.data.vision_config?.spatial_merge_size ?? Number.NaN);
    if (!Number.isInteger(mergeSize) || mergeSize < 1) {
      throw new ModelFolderError(
        `${folder.dir}/preprocessor_config.json: expected merge_size (patches merged per side), found ${String(vision.preprocessor.merge_size)}`,
      );
    }
    const preprocess = await qwen2VlPreprocessor(vision);
    const { image_token_id: image, vision_start_token_id: start, vision_end_token_id: end } = parsed.data;
    const sessions = await loadVisionSessions(load, image);
    return new Qwen2VlImages(sessions, load.ort, preprocess, { imageTokenId: image, mergeSize }, [start, image, end]);
  }

  async encodeImage(dataUri: string, index = 0): Promise<EncodedImage<ImageGrid>> {
    const { ort, sessions } = this;
    const image = await decodeImage(dataUri, index);
    const { pixels, dims, grid } = await this.preprocess(image);
    const outputs = await sessions.encoder.run({
      pixel_values: sessions.pixelsType === 'float16' ? new ort.Tensor('float16', toFloat16(pixels), dims) : new ort.Tensor('float32', pixels, dims),
      grid_thw: new ort.Tensor('int64', BigInt64Array.from([grid.t, grid.h, grid.w], BigInt), [1, 3]),
    });
    const features = outputs.image_features ?? Object.values(outputs)[0];
    if (!features) throw new ModelFolderError('the vision encoder gave no image_features');
    return { features: featureValues(features), tokens: imageTokenCount(grid, this.tokens.mergeSize), layout: grid, key: imageKey(image.bytes) };
  }

  /** The chat template writes one `<|image_pad|>` per image; each becomes as many as the image has merged patches, with M-RoPE positions. */
  prompt(text: string, tokenize: (text: string) => number[], images: readonly EncodedImage<ImageGrid>[]): VisionPrompt {
    const written = tokenize(text);
    const placeholders = written.filter((id) => id === this.imageTokenId).length;
    if (placeholders !== 0 && placeholders !== images.length) throw this.placeholderError(placeholders, images.length);
    const ids = placeholders === 0 ? [...images.flatMap(() => this.markup), ...written] : written;
    if (images.length === 0) return this.expanded(ids, images);
    const grids = images.map((image) => image.layout);
    const expanded = expandImageTokens(ids, grids, this.tokens);
    return this.expanded(expanded, images, ropePositions(expanded, grids, this.tokens));
  }
}
