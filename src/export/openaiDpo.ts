import { z } from 'zod';
import { openaiAssistantMessageSchema, openaiPrompt, openaiPromptSchema } from './openaiContent';
import { linePerPreference } from './pairs';
import type { FormatExporter } from './types';

const openaiDpoLineSchema = z
  .object({
    input: z.object({ messages: openaiPromptSchema }).strict(),
    preferred_output: z.tuple([openaiAssistantMessageSchema]),
    non_preferred_output: z.tuple([openaiAssistantMessageSchema]),
  })
  .strict();
type OpenaiDpoLine = z.infer<typeof openaiDpoLineSchema>;

/**
 * OpenAI DPO: one line per preference. The input must end with the user's turn, so a segment-level pair's
 * prefix goes in front of both outputs; the shared prefix cancels out of the DPO loss.
 */
export const openaiDpo: FormatExporter<OpenaiDpoLine> = {
  schema: openaiDpoLineSchema,
  pairsOnly: true,
  carriesSystem: true,
  build({ parsed, annotations }, _options, images) {
    return linePerPreference(openaiPrompt(parsed, images), parsed, annotations, (messages, { prefix, chosen, rejected }) => ({
      input: { messages },
      preferred_output: [{ role: 'assistant', content: prefix + chosen }],
      non_preferred_output: [{ role: 'assistant', content: prefix + rejected }],
    }));
  },
};
