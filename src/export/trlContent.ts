import { z } from 'zod';
import type { ParsedRecord } from '../dataset/record';
import { questionWithoutImageTokens, textPartSchema } from './exchange';
import type { ExportImages } from './images';
import { isRefusal, type Refusal } from './types';

const imagePartSchema = z.object({ type: z.literal('image') }).strict();
const partsSchema = z.array(z.union([imagePartSchema, textPartSchema])).min(1);

export const trlMessageSchema = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.union([z.string(), partsSchema]) }).strict();
export type TrlMessage = z.infer<typeof trlMessageSchema>;

/** A TRL row has one image part per entry of its top-level `images`, and no empty `images`. */
export function imagePartsMatch(messages: TrlMessage[], images: string[] | undefined): boolean {
  const parts = messages.reduce(
    (count, message) => count + (Array.isArray(message.content) ? message.content.filter((part) => part.type === 'image').length : 0),
    0,
  );
  return parts === (images?.length ?? 0) && images?.length !== 0;
}

/** The prompt messages of a TRL conversational row (the system prompt, then the question), and the row's `images` when it has any. */
export interface TrlPrompt {
  messages: TrlMessage[];
  images: string[] | undefined;
}

/** TRL vision rows hold every message's content as parts, image parts first; text rows hold strings. */
export function trlMessage(role: TrlMessage['role'], text: string, vision: boolean, imageCount = 0): TrlMessage {
  if (!vision) return { role, content: text };
  return { role, content: [...Array.from({ length: imageCount }, () => ({ type: 'image' as const })), { type: 'text', text }] };
}

export function trlPrompt(parsed: ParsedRecord, exportImages: ExportImages): TrlPrompt | Refusal {
  const text = questionWithoutImageTokens(parsed);
  if (isRefusal(text)) return text;
  const written = exportImages.paths(parsed.images);
  if (isRefusal(written)) return written;
  const images = written.length > 0 ? written : undefined;
  const vision = images !== undefined;
  const system = parsed.system === undefined ? [] : [trlMessage('system', parsed.system, vision)];
  return { messages: [...system, trlMessage('user', text, vision, images?.length)], images };
}
