import { z } from 'zod';
import type { ParsedRecord } from '../dataset/record';
import { questionWithoutImageTokens, textPartSchema } from './exchange';
import type { ExportImages } from './images';
import { isRefusal, type Refusal } from './types';

const imageUrlPartSchema = z.object({ type: z.literal('image_url'), image_url: z.object({ url: z.string() }).strict() }).strict();

/** Images appear only in user messages; assistant content is plain text. */
export const openaiUserMessageSchema = z
  .object({ role: z.literal('user'), content: z.union([z.string(), z.array(z.union([textPartSchema, imageUrlPartSchema])).min(1)]) })
  .strict();
export const openaiAssistantMessageSchema = z.object({ role: z.literal('assistant'), content: z.string() }).strict();
export const openaiSystemMessageSchema = z.object({ role: z.literal('system'), content: z.string() }).strict();
/** What a prompt is: the question, after the system prompt when the record has one. */
export const openaiPromptSchema = z.union([z.tuple([openaiUserMessageSchema]), z.tuple([openaiSystemMessageSchema, openaiUserMessageSchema])]);
export type OpenaiUserMessage = z.infer<typeof openaiUserMessageSchema>;
export type OpenaiPrompt = z.infer<typeof openaiPromptSchema>;

/** The question as an OpenAI user message: image parts (data URIs unless the export says otherwise) before the text. */
export function openaiUserMessage(parsed: ParsedRecord, images: ExportImages): OpenaiUserMessage | Refusal {
  const text = questionWithoutImageTokens(parsed);
  if (isRefusal(text)) return text;
  if (parsed.images.length === 0) return { role: 'user', content: text };
  const urls = images.paths(parsed.images);
  if (isRefusal(urls)) return urls;
  return {
    role: 'user',
    content: [...urls.map((url) => ({ type: 'image_url' as const, image_url: { url } })), { type: 'text', text }],
  };
}

/** The prompt messages: the system prompt when the record has one, then the question. */
export function openaiPrompt(parsed: ParsedRecord, images: ExportImages): OpenaiPrompt | Refusal {
  const user = openaiUserMessage(parsed, images);
  if (isRefusal(user)) return user;
  return parsed.system === undefined ? [user] : [{ role: 'system', content: parsed.system }, user];
}
