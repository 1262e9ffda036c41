import { z } from 'zod';
import type { ParsedRecord } from '../dataset/record';
import { laterTurns, type PlacedTurn, promptTurns, questionImages, questionWithoutImageTokens, textPartSchema } from './exchange';
import type { ExportImages } from './images';
import { isRefusal, type Refusal } from './types';

const imageUrlPartSchema = z.object({ type: z.literal('image_url'), image_url: z.object({ url: z.string() }).strict() }).strict();

/** Images appear only in user messages; assistant content is plain text. */
export const openaiUserMessageSchema = z
  .object({ role: z.literal('user'), content: z.union([z.string(), z.array(z.union([textPartSchema, imageUrlPartSchema])).min(1)]) })
  .strict();
export const openaiAssistantMessageSchema = z.object({ role: z.literal('assistant'), content: z.string() }).strict();
export const openaiSystemMessageSchema = z.object({ role: z.literal('system'), content: z.string() }).strict();
export type OpenaiUserMessage = z.infer<typeof openaiUserMessageSchema>;
type OpenaiAssistantMessage = z.infer<typeof openaiAssistantMessageSchema>;
/** What the first reply's prompt is: the question, after the system prompt when the record has one. */
export type OpenaiPrompt = [OpenaiUserMessage] | [z.infer<typeof openaiSystemMessageSchema>, OpenaiUserMessage];

/** A user message: image parts (data URIs unless the export says otherwise) before the text. */
function openaiUser(text: string, sources: string[], images: ExportImages): OpenaiUserMessage | Refusal {
  if (sources.length === 0) return { role: 'user', content: text };
  const urls = images.paths(sources);
  if (isRefusal(urls)) return urls;
  return {
    role: 'user',
    content: [...urls.map((url) => ({ type: 'image_url' as const, image_url: { url } })), { type: 'text', text }],
  };
}

/** The question as an OpenAI user message. */
export function openaiUserMessage(parsed: ParsedRecord, images: ExportImages): OpenaiUserMessage | Refusal {
  const text = questionWithoutImageTokens(parsed);
  return isRefusal(text) ? text : openaiUser(text, questionImages(parsed), images);
}

/** Turns as OpenAI messages: each question with the image parts of the images it places, each reply as text. */
function openaiTurns(turns: PlacedTurn[] | Refusal, images: ExportImages): (OpenaiUserMessage | OpenaiAssistantMessage)[] | Refusal {
  if (isRefusal(turns)) return turns;
  const messages: (OpenaiUserMessage | OpenaiAssistantMessage)[] = [];
  for (const turn of turns) {
    if (turn.role === 'assistant' && turn.images.length > 0)
      return { refusal: `turn ${turn.place} of the conversation is a reply with images; OpenAI replies are text` };
    const message = turn.role === 'user' ? openaiUser(turn.text, turn.images, images) : { role: 'assistant' as const, content: turn.text };
    if (isRefusal(message)) return message;
    messages.push(message);
  }
  return messages;
}

/** The turns after the first reply: each question with the image parts of the images it places, each reply as text. */
export function openaiLaterTurns(parsed: ParsedRecord, images: ExportImages): (OpenaiUserMessage | OpenaiAssistantMessage)[] | Refusal {
  return openaiTurns(laterTurns(parsed, 'dropped'), images);
}

/**
 * What a reply answers: the system prompt when the record has one, then the conversation up to the reply
 * (`promptTurns`), questions and replies taking turns and its own question last.
 */
export const openaiContextSchema = z.array(z.union([openaiSystemMessageSchema, openaiUserMessageSchema, openaiAssistantMessageSchema])).refine((messages) => {
  const turns = messages[0]?.role === 'system' ? messages.slice(1) : messages;
  return turns.length % 2 === 1 && turns.every((message, index) => message.role === (index % 2 === 0 ? 'user' : 'assistant'));
}, 'the system prompt, then questions and replies taking turns, a question last');
export type OpenaiContext = z.infer<typeof openaiContextSchema>;

/** The messages reply `turn` answers, as `openaiContextSchema` has them. */
export function openaiContext(parsed: ParsedRecord, images: ExportImages, turn: number): OpenaiContext | Refusal {
  const messages = openaiTurns(promptTurns(parsed, turn, 'dropped'), images);
  if (isRefusal(messages)) return messages;
  return parsed.system === undefined ? messages : [{ role: 'system', content: parsed.system }, ...messages];
}

/** The prompt messages: the system prompt when the record has one, then the question. */
export function openaiPrompt(parsed: ParsedRecord, images: ExportImages): OpenaiPrompt | Refusal {
  const user = openaiUserMessage(parsed, images);
  if (isRefusal(user)) return user;
  return parsed.system === undefined ? [user] : [{ role: 'system', content: parsed.system }, user];
}
