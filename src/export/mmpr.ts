import { z } from 'zod';
import { questionOf } from './exchange';
import { imagePathFromDataset } from './images';
import { linePerPreference } from './pairs';
import type { FormatExporter } from './types';

const mmprLineSchema = z
  .object({ image: z.union([z.string(), z.array(z.string()).min(2)]).optional(), question: z.string(), chosen: z.string(), rejected: z.string() })
  .strict();
type MmprLine = z.infer<typeof mmprLineSchema>;

/**
 * MMPR / MPO pairs: one line per preference, a segment-level pair's prefix in front of both sides (as in
 * MPO's own continuation pairs). Image paths are written from the dataset folder, meta.json's `root` (as the
 * record gives them, unless an image root holds the image). A single image is a string, several a list, none
 * no `image` key.
 */
export const mmpr: FormatExporter<MmprLine> = {
  schema: mmprLineSchema,
  pairsOnly: true,
  build({ parsed, annotations }, options) {
    const images = parsed.images.map((image) => imagePathFromDataset(image, options));
    // A text-only pair has no `image` key, as InternVL's own pipeline writes it.
    const image = images.length === 0 ? {} : { image: images.length === 1 ? images[0] : images };
    return linePerPreference(questionOf(parsed), parsed, annotations, (question, { prefix, chosen, rejected }) => ({
      ...image,
      question,
      chosen: prefix + chosen,
      rejected: prefix + rejected,
    }));
  },
};
