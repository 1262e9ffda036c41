import { z } from 'zod';
import type { ParsedRecord } from '../dataset/record';
import { laterTurns, questionImages, questionWithoutImageTokens, textPartSchema } from './exchange';
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

/** A row is a vision row when any turn of the record has an image, so the question's `images` may be empty. */
export function trlPrompt(parsed: ParsedRecord, exportImages: ExportImages): TrlPrompt | Refusal {
  const text = questionWithoutImageTokens(parsed);
  if (isRefusal(text)) return text;
  const written = exportImages.paths(questionImages(parsed));
  if (isRefusal(written)) return written;
  const vision = parsed.images.length > 0;
  const images = vision ? written : undefined;
  const system = parsed.system === undefined ? [] : [trlMessage('system', parsed.system, vision)];
  return { messages: [...system, trlMessage('user', text, vision, images?.length)], images };
}

/** The turns after the first reply as TRL messages, each with an image part per image it places, and those images in order. */
export function trlLaterTurns(parsed: ParsedRecord, exportImages: ExportImages, vision: boolean): { messages: TrlMessage[]; images: string[] } | Refusal {
  const later = laterTurns(parsed, 'dropped');
  if (isRefusal(later)) return later;
  const messages: TrlMessage[] = [];
  const images: string[] = [];
  for (const turn of later) {
    const written = exportImages.paths(turn.images);
    if (isRefusal(written)) return written;
    messages.push(trlMessage(turn.role, turn.text, vision, written.length));
    images.push(...written);
  }
  return { messages, images };
}
