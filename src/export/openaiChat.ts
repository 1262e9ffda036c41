import { z } from 'zod';
import { openaiAssistantMessageSchema, openaiLaterTurns, openaiPrompt, openaiSystemMessageSchema, openaiUserMessageSchema } from './openaiContent';
import { isRefusal, type FormatExporter } from './types';

/** The conversation's later questions and replies follow the first exchange. */
const laterTurnSchema = z.union([openaiUserMessageSchema, openaiAssistantMessageSchema]);
const openaiChatLineSchema = z
  .object({
    messages: z.union([
      z.tuple([openaiUserMessageSchema, openaiAssistantMessageSchema], laterTurnSchema),
      z.tuple([openaiSystemMessageSchema, openaiUserMessageSchema, openaiAssistantMessageSchema], laterTurnSchema),
    ]),
  })
  .strict();
type OpenaiChatLine = z.infer<typeof openaiChatLineSchema>;

/**
 * OpenAI chat fine-tuning: the system prompt, the question and the first response (the chosen one of a
 * preference record), then the conversation's later turns, each question with its own image parts.
 */
export const openaiChat: FormatExporter<OpenaiChatLine> = {
  schema: openaiChatLineSchema,
  carriesSystem: true,
  build({ parsed }, _options, images) {
    const prompt = openaiPrompt(parsed, images);
    if (isRefusal(prompt)) return prompt;
    const later = openaiLaterTurns(parsed, images);
    if (isRefusal(later)) return later;
    return [{ messages: [...prompt, { role: 'assistant', content: parsed.responses[0].text }, ...later] }];
  },
};
