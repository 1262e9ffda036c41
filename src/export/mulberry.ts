import { z } from 'zod';
import { DEFAULT_REFLECTION_PHRASE } from '../dataset/annotations';
import { sectionGrammarProblems } from '../dataset/checks/sectionGrammar';
import { imageTokensMatch } from './exchange';
import { sharegptLaterTurns, sharegptPrompt } from './llamaFactory';
import { isRefusal, type FormatExporter } from './types';

const userMessage = z.object({ role: z.literal('user'), content: z.string() }).strict();
const assistantMessage = z.object({ role: z.literal('assistant'), content: z.string() }).strict();
const systemMessage = z.object({ role: z.literal('system'), content: z.string() }).strict();
/** The conversation's later questions and replies follow the first exchange. */
const laterMessage = z.union([userMessage, assistantMessage]);

const mulberryLineSchema = z
  .object({
    messages: z.union([z.tuple([userMessage, assistantMessage], laterMessage), z.tuple([systemMessage, userMessage, assistantMessage], laterMessage)]),
    images: z.array(z.string()),
  })
  .strict()
  .refine(
    (line) =>
      imageTokensMatch(
        line.messages.map((message) => message.content),
        line.images,
      ),
    'the number of <image> placeholders must equal the number of images',
  );
type MulberryLine = z.infer<typeof mulberryLineSchema>;

/**
 * Mulberry SFT (LLaMA-Factory sharegpt `messages`): only records whose response follows Mulberry's `###`
 * grammar, since the model learns that layout. A reflection (wrong step, phrase, the step again) is part of
 * the response text and stays as it is; its phrase is the one the record's reflections used. The conversation's
 * later turns follow as the record holds them.
 */
export const mulberry: FormatExporter<MulberryLine> = {
  schema: mulberryLineSchema,
  carriesSystem: true,
  build({ parsed, annotations }, _options, images) {
    if (parsed.format !== 'mulberry') return { refusal: `the response is not in Mulberry's ### sections (the record is ${parsed.format})` };
    const phrase = annotations.reflections.at(-1)?.phrase ?? DEFAULT_REFLECTION_PHRASE;
    const problems = sectionGrammarProblems(parsed.responses[0].text, phrase);
    if (problems.length > 0) return { refusal: `the response does not follow Mulberry's ### grammar: ${problems.join('; ')}` };
    const prompt = sharegptPrompt(parsed, images);
    if (isRefusal(prompt)) return prompt;
    const user = { role: 'user' as const, content: prompt.question };
    const assistant = { role: 'assistant' as const, content: parsed.responses[0].text };
    const later = sharegptLaterTurns(parsed, images);
    if (isRefusal(later)) return later;
    const rest = later.turns.map(({ role, text }) => ({ role, content: text }));
    const messages: MulberryLine['messages'] =
      prompt.system === undefined ? [user, assistant, ...rest] : [{ role: 'system', content: prompt.system }, user, assistant, ...rest];
    return [{ messages, images: [...prompt.images, ...later.images] }];
  },
};
