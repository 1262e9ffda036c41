import { Idefics3Images } from './idefics3Images';
import { Qwen2VlImages } from './qwen2vlImages';
import type { VisionImages, VisionLoad } from './visionImages';

/** The image side of a vision-language model folder, by its family. */
export function loadVisionImages(load: VisionLoad): Promise<VisionImages<unknown>> {
  switch (load.vision.family) {
    case 'qwen2-vl':
      return Qwen2VlImages.load(load);
    case 'idefics3':
      return Idefics3Images.load(load);
  }
}
