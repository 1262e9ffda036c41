import type { RawImage } from '@huggingface/transformers';
import { IMAGE_DATA_URI } from '../../protocol';
import { ModelFolderError, type VisionFiles } from '../model/folder';
import type { ImageGrid } from './qwen2vlPrompt';

/** An image of a request: its file's bytes (what the prefix cache knows it by) and its decoded pixels. */
export interface ImagePixels {
  bytes: Uint8Array;
  image: RawImage;
}

/**
 * transformers.js, loaded when a vision-language model is, never for a text model: its image processors are the
 * models' own processors ported (smart resize, rescale, normalise, patchify), and the engine is checked against them.
 */
const transformers = () => import('@huggingface/transformers');

/** A request's image (a data URI, as every backend gets images) decoded to pixels; the error names the image by its place. */
export async function decodeImage(dataUri: string, index: number): Promise<ImagePixels> {
  if (!IMAGE_DATA_URI.test(dataUri)) throw new Error(`image ${index + 1}: expected a data:image/…;base64 URI, found ${dataUri.slice(0, 40)}…`);
  const bytes = new Uint8Array(Buffer.from(dataUri.slice(dataUri.indexOf(',') + 1), 'base64'));
  const { RawImage } = await transformers();
  try {
    return { bytes, image: await RawImage.fromBlob(new Blob([bytes])) };
  } catch (error) {
    throw new Error(`image ${index + 1}: not an image the engine can decode (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** The processor's output for one image: patches as the vision encoder reads them, and their grid (frames, rows, columns). */
export interface ProcessedImage {
  pixels: Float32Array;
  dims: number[];
  grid: ImageGrid;
}

/** The model's image processor, configured from its preprocessor_config.json. */
export async function preprocessorFor(vision: VisionFiles): Promise<(image: ImagePixels) => Promise<ProcessedImage>> {
  const { Qwen2VLImageProcessor } = await transformers();
  const type = vision.preprocessor.image_processor_type;
  if (type !== undefined && type !== 'Qwen2VLImageProcessor' && type !== 'Qwen2_5_VLImageProcessor') {
    throw new ModelFolderError(
      `${vision.encoderFile}: the ${vision.family} family takes Qwen2VLImageProcessor settings, found image_processor_type ${String(type)}`,
    );
  }
  const processor = new Qwen2VLImageProcessor(vision.preprocessor);
  return async ({ image }) => {
    const { pixel_values, image_grid_thw } = await processor(image);
    const grid = (image_grid_thw.tolist() as bigint[][])[0]?.map(Number) ?? [];
    return { pixels: pixel_values.data as Float32Array, dims: [...pixel_values.dims], grid: { t: grid[0] ?? 1, h: grid[1] ?? 0, w: grid[2] ?? 0 } };
  };
}
