import { z } from 'zod';
import { openaiAssistantMessageSchema, openaiPrompt, openaiSystemMessageSchema, openaiUserMessageSchema } from './openaiContent';
import { isRefusal, type FormatExporter } from './types';

const openaiChatLineSchema = z
  .object({
    messages: z.union([
      z.tuple([openaiUserMessageSchema, openaiAssistantMessageSchema]),
      z.tuple([openaiSystemMessageSchema, openaiUserMessageSchema, openaiAssistantMessageSchema]),
    ]),
  })
  .strict();
type OpenaiChatLine = z.infer<typeof openaiChatLineSchema>;

/** OpenAI chat fine-tuning: the system prompt, the question and the first response (the chosen one of a preference record). */
export const openaiChat: FormatExporter<OpenaiChatLine> = {
  schema: openaiChatLineSchema,
  carriesSystem: true,
  build({ parsed }, _options, images) {
    const prompt = openaiPrompt(parsed, images);
    if (isRefusal(prompt)) return prompt;
    return [{ messages: [...prompt, { role: 'assistant', content: parsed.responses[0].text }] }];
  },
};
