import { z } from 'zod';
import { questionImages, questionOf } from './exchange';
import { internVlImage, internVlImageSchema } from './images';
import { linePerPreference } from './pairs';
import { isRefusal, type FormatExporter, type Refusal } from './types';

const mmprLineSchema = z.object({ image: internVlImageSchema.optional(), question: z.string(), chosen: z.string(), rejected: z.string() }).strict();
type MmprLine = z.infer<typeof mmprLineSchema>;

/**
 * MMPR / MPO pairs: one line per preference, a segment-level pair's prefix in front of both sides (as in
 * MPO's own continuation pairs). A line holds one question and its images, so it carries pairs about the first
 * reply of a conversation (its prompt is the question alone; the later exchanges are not part of that pair) and
 * refuses a pair about a later reply, whose earlier turns it has no place for. Image paths are written from
 * meta.json's `root`: the dataset folder (as the record gives them, unless an image root holds the image), or the
 * output's when images are copied. A single image is a string, several a list, none no `image` key (a text-only
 * pair, as InternVL's own pipeline writes it).
 */
export const mmpr: FormatExporter<MmprLine> = {
  schema: mmprLineSchema,
  pairsOnly: true,
  build({ parsed, annotations }, _options, exportImages) {
    const prompt = (turn: number): { question: string; images: string[] } | Refusal => {
      if (turn > 0)
        return {
          refusal: `a preference pair is about turn ${turn} of the conversation, and an MMPR line holds one question: the turns before that reply would be lost`,
        };
      const question = questionOf(parsed);
      if (isRefusal(question)) return question;
      const images = exportImages.paths(questionImages(parsed));
      return isRefusal(images) ? images : { question, images };
    };
    return linePerPreference(prompt, parsed, annotations, ({ question, images }, { prefix, chosen, rejected }) => ({
      ...(images.length === 0 ? {} : { image: internVlImage(images) }),
      question,
      chosen: prefix + chosen,
      rejected: prefix + rejected,
    }));
  },
};
