import { z } from 'zod';
import { questionOf } from './exchange';
import { linePerPreference } from './pairs';
import type { FormatExporter } from './types';

const mmprLineSchema = z
  .object({ image: z.union([z.string(), z.array(z.string()).min(2)]), question: z.string(), chosen: z.string(), rejected: z.string() })
  .strict();
type MmprLine = z.infer<typeof mmprLineSchema>;

/**
 * MMPR / MPO pairs: one line per preference, a segment-level pair's prefix in front of both sides (as in
 * MPO's own continuation pairs). Image paths stay as the record gives them: meta.json's `root` is the
 * dataset folder. A single image is a string, several a list.
 */
export const mmpr: FormatExporter<MmprLine> = {
  schema: mmprLineSchema,
  pairsOnly: true,
  build({ parsed, annotations }) {
    if (parsed.images.length === 0) return { refusal: 'MMPR needs an image and the record has none' };
    const image = parsed.images.length === 1 ? parsed.images[0] : parsed.images;
    return linePerPreference(questionOf(parsed), parsed, annotations, (question, { prefix, chosen, rejected }) => ({
      image,
      question,
      chosen: prefix + chosen,
      rejected: prefix + rejected,
    }));
  },
};
