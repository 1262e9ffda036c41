import { z } from 'zod';
import { openaiAssistantMessageSchema, openaiContext, openaiContextSchema } from './openaiContent';
import { linePerPreference } from './pairs';
import type { FormatExporter } from './types';

const openaiDpoLineSchema = z
  .object({
    input: z.object({ messages: openaiContextSchema }).strict(),
    preferred_output: z.tuple([openaiAssistantMessageSchema]),
    non_preferred_output: z.tuple([openaiAssistantMessageSchema]),
  })
  .strict();
type OpenaiDpoLine = z.infer<typeof openaiDpoLineSchema>;

/**
 * OpenAI DPO: one line per preference, `input.messages` what the pair's reply answers (the system prompt, then
 * the conversation up to the reply, each question with its image parts). The input must end with the user's
 * turn, so a segment-level pair's prefix goes in front of both outputs; the shared prefix cancels out of the
 * DPO loss.
 */
export const openaiDpo: FormatExporter<OpenaiDpoLine> = {
  schema: openaiDpoLineSchema,
  pairsOnly: true,
  carriesSystem: true,
  build({ parsed, annotations }, _options, images) {
    const context = (turn: number) => openaiContext(parsed, images, turn);
    return linePerPreference(context, parsed, annotations, (messages, { prefix, chosen, rejected }) => ({
      input: { messages },
      preferred_output: [{ role: 'assistant', content: prefix + chosen }],
      non_preferred_output: [{ role: 'assistant', content: prefix + rejected }],
    }));
  },
};
