import { z } from 'zod';
import { linePerPreference } from './pairs';
import { imagePartsMatch, trlMessage, trlMessageSchema, trlPrompt } from './trlContent';
import type { FormatExporter } from './types';

const trlDpoLineSchema = z
  .object({
    prompt: z.array(trlMessageSchema).min(1),
    chosen: z.array(trlMessageSchema).length(1),
    rejected: z.array(trlMessageSchema).length(1),
    images: z.array(z.string()).optional(),
  })
  .strict()
  .refine((line) => imagePartsMatch([...line.prompt, ...line.chosen, ...line.rejected], line.images), 'one image part per entry of images');
type TrlDpoLine = z.infer<typeof trlDpoLineSchema>;

/**
 * TRL preference, conversational: one line per preference of the record. The prompt is what the pair's reply
 * answers: the system prompt, then the conversation up to that reply (earlier questions with an image part per
 * image they place, earlier replies), its question last; `images` lists the prompt's images in the order of
 * their parts. A segment-level pair puts the reply's text before the segment in a final assistant message of the
 * prompt, which TRL continues (`continue_final_message`), so chosen and rejected are just the two versions of
 * the segment.
 */
export const trlDpo: FormatExporter<TrlDpoLine> = {
  schema: trlDpoLineSchema,
  pairsOnly: true,
  carriesSystem: true,
  build({ parsed, annotations }, _options, images) {
    const prompt = (turn: number) => trlPrompt(parsed, images, turn);
    return linePerPreference(prompt, parsed, annotations, ({ messages, images: placed, vision }, { prefix, chosen, rejected }) => {
      const line: TrlDpoLine = {
        prompt: prefix === '' ? messages : [...messages, trlMessage('assistant', prefix, vision)],
        chosen: [trlMessage('assistant', chosen, vision)],
        rejected: [trlMessage('assistant', rejected, vision)],
      };
      return placed === undefined ? line : { ...line, images: placed };
    });
  },
};
