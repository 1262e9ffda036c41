import type * as Ort from 'onnxruntime-node';
import type { ExecutionProvider } from '../../protocol';
import type { ModelFolder, VisionFiles } from '../model/folder';
import type { DecoderShape } from '../model/session';
import { Idefics3Images } from './idefics3Images';
import { Qwen2VlImages } from './qwen2vlImages';
import type { VisionImages } from './visionImages';

/** The image side of a vision-language model folder, by its family. */
export function loadVisionImages(
  ort: typeof Ort,
  folder: ModelFolder,
  vision: VisionFiles,
  decoder: Ort.InferenceSession,
  shape: DecoderShape,
  provider: ExecutionProvider,
): Promise<VisionImages<unknown>> {
  switch (vision.family) {
    case 'qwen2-vl':
      return Qwen2VlImages.load(ort, folder, vision, decoder, shape, provider);
    case 'idefics3':
      return Idefics3Images.load(ort, folder, vision, decoder, shape, provider);
  }
}
