import { z } from 'zod';
import { openaiAssistantMessageSchema, openaiUserMessage, openaiUserMessageSchema } from './openaiContent';
import { isRefusal, type FormatExporter } from './types';

const openaiChatLineSchema = z.object({ messages: z.tuple([openaiUserMessageSchema, openaiAssistantMessageSchema]) }).strict();
type OpenaiChatLine = z.infer<typeof openaiChatLineSchema>;

/** OpenAI chat fine-tuning: the question and the first response (the chosen one of a preference record). */
export const openaiChat: FormatExporter<OpenaiChatLine> = {
  schema: openaiChatLineSchema,
  build({ parsed }, options) {
    const user = openaiUserMessage(parsed, options);
    if (isRefusal(user)) return user;
    return [{ messages: [user, { role: 'assistant', content: parsed.responses[0].text }] }];
  },
};
