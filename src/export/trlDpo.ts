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
 * TRL preference, conversational: one line per preference of the record. A segment-level pair puts the
 * response text before the segment in a final assistant message of the prompt, which TRL continues
 * (`continue_final_message`), so chosen and rejected are just the two versions of the segment.
 */
export const trlDpo: FormatExporter<TrlDpoLine> = {
  schema: trlDpoLineSchema,
  pairsOnly: true,
  carriesSystem: true,
  build({ parsed, annotations }, _options, images) {
    return linePerPreference(trlPrompt(parsed, images), parsed, annotations, (prompt, { prefix, chosen, rejected }) => {
      const vision = prompt.images !== undefined;
      const line: TrlDpoLine = {
        prompt: prefix === '' ? prompt.messages : [...prompt.messages, trlMessage('assistant', prefix, vision)],
        chosen: [trlMessage('assistant', chosen, vision)],
        rejected: [trlMessage('assistant', rejected, vision)],
      };
      return vision ? { ...line, images: prompt.images } : line;
    });
  },
};
