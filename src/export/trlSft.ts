import { z } from 'zod';
import { replyVerdicts } from './steps';
import { imagePartsMatch, trlLaterTurns, trlMessage, trlMessageSchema, trlPrompt } from './trlContent';
import { isRefusal, type FormatExporter } from './types';

const trlSftLineSchema = z
  .object({ messages: z.array(trlMessageSchema).min(2), images: z.array(z.string()).optional() })
  .strict()
  .refine((line) => imagePartsMatch(line.messages, line.images), 'one image part per entry of images');
type TrlSftLine = z.infer<typeof trlSftLineSchema>;

/**
 * TRL SFT, conversational: the system prompt, the question and the first response (the chosen one of a
 * preference record), then the conversation's later turns as the record holds them, each image part in the
 * turn that places it and `images` in the order of the parts. As TRL turns stepwise data into SFT data (keeping
 * a row only when all its labels are true), a record with a step rated incorrect (-1, or 0 when neutral steps are
 * labelled false) in any of its replies, every one a target of the row, is left out unless `keepIncorrect`;
 * unrated steps count against nothing, so a record without ratings is written.
 */
export const trlSft: FormatExporter<TrlSftLine> = {
  schema: trlSftLineSchema,
  carriesSystem: true,
  leavesOut: (input, options) =>
    !options.keepIncorrect && replyVerdicts(input, options.neutralLabel).some((verdict) => verdict.incorrect.length > 0) ? 'incorrect-step' : null,
  build({ parsed }, _options, images) {
    const prompt = trlPrompt(parsed, images);
    if (isRefusal(prompt)) return prompt;
    const later = trlLaterTurns(parsed, images, prompt.vision);
    if (isRefusal(later)) return later;
    const messages = [...prompt.messages, trlMessage('assistant', parsed.responses[0].text, prompt.vision), ...later.messages];
    return [prompt.vision ? { messages, images: [...(prompt.images ?? []), ...later.images] } : { messages }];
  },
};
