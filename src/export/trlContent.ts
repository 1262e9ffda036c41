import { z } from 'zod';
import type { ParsedRecord } from '../dataset/record';
import { laterTurns, type PlacedTurn, promptTurns, textPartSchema, turnsWithImages } from './exchange';
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

/** The prompt messages of a TRL conversational row (the system prompt, then the turns a reply answers), and the row's `images` when it has any. */
export interface TrlPrompt {
  messages: TrlMessage[];
  images: string[] | undefined;
  /** Whether the row's messages hold their content as parts, as TRL's vision rows do. */
  vision: boolean;
}

/** TRL vision rows hold every message's content as parts, image parts first; text rows hold strings. */
export function trlMessage(role: TrlMessage['role'], text: string, vision: boolean, imageCount = 0): TrlMessage {
  if (!vision) return { role, content: text };
  return { role, content: [...Array.from({ length: imageCount }, () => ({ type: 'image' as const })), { type: 'text', text }] };
}

/** Turns as TRL messages, each with an image part per image it places, and those images in order. */
function trlTurns(turns: PlacedTurn[] | Refusal, exportImages: ExportImages, vision: boolean): { messages: TrlMessage[]; images: string[] } | Refusal {
  const written = turnsWithImages(turns, exportImages, (turn, images) => trlMessage(turn.role, turn.text, vision, images.length));
  return isRefusal(written) ? written : { messages: written.turns, images: written.images };
}

/**
 * The prompt of reply `turn`: the system prompt, then the question it answers after the conversation before it
 * (`promptTurns`). A row is a vision row when any turn of the record has an image; it names `images` when its
 * own messages place some.
 */
export function trlPrompt(parsed: ParsedRecord, exportImages: ExportImages, turn = 0): TrlPrompt | Refusal {
  const vision = parsed.images.length > 0;
  const turns = trlTurns(promptTurns(parsed, turn, 'dropped'), exportImages, vision);
  if (isRefusal(turns)) return turns;
  const system = parsed.system === undefined ? [] : [trlMessage('system', parsed.system, vision)];
  return { messages: [...system, ...turns.messages], images: turns.images.length > 0 ? turns.images : undefined, vision };
}

/** The turns after the first reply as TRL messages, each with an image part per image it places, and those images in order. */
export function trlLaterTurns(parsed: ParsedRecord, exportImages: ExportImages, vision: boolean): { messages: TrlMessage[]; images: string[] } | Refusal {
  return trlTurns(laterTurns(parsed, 'dropped'), exportImages, vision);
}
