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

/** Qwen2-VL's processor output for one image: patches as the vision encoder reads them, and their grid (frames, rows, columns). */
export interface Qwen2VlProcessed {
  pixels: Float32Array;
  dims: number[];
  grid: ImageGrid;
}

/** The image_processor_type a family's preprocessor_config.json may name; a missing one is taken to be the family's. */
function checkProcessorType(vision: VisionFiles, accepted: readonly string[]): void {
  const type = vision.preprocessor.image_processor_type;
  if (type !== undefined && !accepted.includes(String(type))) {
    throw new ModelFolderError(
      `${vision.encoderFile}: the ${vision.family} family takes ${accepted.join(' or ')} settings, found image_processor_type ${String(type)}`,
    );
  }
}

/** Qwen2-VL's image processor (smart resize to the patch grid, normalise, patchify), configured from preprocessor_config.json. */
export async function qwen2VlPreprocessor(vision: VisionFiles): Promise<(image: ImagePixels) => Promise<Qwen2VlProcessed>> {
  checkProcessorType(vision, ['Qwen2VLImageProcessor', 'Qwen2_5_VLImageProcessor']);
  const { Qwen2VLImageProcessor } = await transformers();
  const processor = new Qwen2VLImageProcessor(vision.preprocessor);
  return async ({ image }) => {
    const { pixel_values, image_grid_thw } = await processor(image);
    const grid = (image_grid_thw.tolist() as bigint[][])[0]?.map(Number) ?? [];
    return { pixels: pixel_values.data as Float32Array, dims: [...pixel_values.dims], grid: { t: grid[0] ?? 1, h: grid[1] ?? 0, w: grid[2] ?? 0 } };
  };
}

/** Idefics3's processor output for one image: its tiles and the global view [1, tiles, 3, size, size], and how the tiles lie. */
export interface Idefics3Processed {
  pixels: Float32Array;
  dims: number[];
  /** Tile rows and columns; 0 and 0 when the image is one global view. */
  rows: number;
  columns: number;
}

/**
 * Idefics3's (SmolVLM's) image processor: resize to the longest edge, split into tiles of the vision encoder's size
 * with a global view of the whole image after them, normalise; configured from preprocessor_config.json.
 */
export async function idefics3Preprocessor(vision: VisionFiles): Promise<(image: ImagePixels) => Promise<Idefics3Processed>> {
  checkProcessorType(vision, ['Idefics3ImageProcessor', 'SmolVLMImageProcessor']);
  const { Idefics3ImageProcessor } = await transformers();
  const processor = new Idefics3ImageProcessor(vision.preprocessor);
  return async ({ image }) => {
    const { pixel_values, rows, cols } = (await processor(image, { return_row_col_info: true })) as {
      pixel_values: { data: Float32Array; dims: number[] };
      rows: number[][];
      cols: number[][];
    };
    return { pixels: pixel_values.data, dims: [...pixel_values.dims], rows: rows[0]?.[0] ?? 0, columns: cols[0]?.[0] ?? 0 };
  };
}
