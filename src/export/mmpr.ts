import { z } from 'zod';
import { questionOf } from './exchange';
import { linePerPreference } from './pairs';
import { isRefusal, type FormatExporter } from './types';

const mmprLineSchema = z
  .object({ image: z.union([z.string(), z.array(z.string()).min(2)]).optional(), question: z.string(), chosen: z.string(), rejected: z.string() })
  .strict();
type MmprLine = z.infer<typeof mmprLineSchema>;

/**
 * MMPR / MPO pairs: one line per preference, a segment-level pair's prefix in front of both sides (as in
 * MPO's own continuation pairs). Image paths are written from meta.json's `root`: the dataset folder (as the
 * record gives them, unless an image root holds the image), or the output's when images are copied. A single
 * image is a string, several a list, none no `image` key (a text-only pair, as InternVL's own pipeline writes it).
 */
export const mmpr: FormatExporter<MmprLine> = {
  schema: mmprLineSchema,
  pairsOnly: true,
  build({ parsed, annotations }, _options, exportImages) {
    const images = exportImages.paths(parsed.images);
    if (isRefusal(images)) return images;
    const image = images.length === 0 ? {} : { image: images.length === 1 ? images[0] : images };
    return linePerPreference(questionOf(parsed), parsed, annotations, (question, { prefix, chosen, rejected }) => ({
      ...image,
      question,
      chosen: prefix + chosen,
      rejected: prefix + rejected,
    }));
  },
};
