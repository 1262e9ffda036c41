import { z } from 'zod';
import { imagePartsMatch, trlMessage, trlMessageSchema, trlPrompt } from './trlContent';
import { isRefusal, type FormatExporter } from './types';

const trlSftLineSchema = z
  .object({ messages: z.array(trlMessageSchema).min(2), images: z.array(z.string()).optional() })
  .strict()
  .refine((line) => imagePartsMatch(line.messages, line.images), 'one image part per entry of images');
type TrlSftLine = z.infer<typeof trlSftLineSchema>;

/** TRL SFT, conversational: the system prompt, the question and the first response (the chosen one of a preference record). */
export const trlSft: FormatExporter<TrlSftLine> = {
  schema: trlSftLineSchema,
  carriesSystem: true,
  build({ parsed }, options) {
    const prompt = trlPrompt(parsed, options);
    if (isRefusal(prompt)) return prompt;
    const messages = [...prompt.messages, trlMessage('assistant', parsed.responses[0].text, prompt.images !== undefined)];
    return [prompt.images === undefined ? { messages } : { messages, images: prompt.images }];
  },
};
