import { isJsonObject, type Json, type JsonObject, type JsonPath } from '../record';
import type { TextRef } from './segment';

export type TurnRole = 'user' | 'assistant' | 'other';

/** One chat turn: its text strings (one, or one per text part) and the urls of its image parts. */
export interface Turn {
  role: TurnRole;
  texts: TextRef[];
  imageUrls: string[];
  /** Whether the content is an OpenAI list of parts rather than a string. */
  hasParts: boolean;
}

export interface Chat {
  path: JsonPath;
  turns: Turn[];
}

/** Where sharegpt-style records keep their turns; LLaMA-Factory accepts both. */
export const CHAT_KEYS = ['messages', 'conversations'] as const;

const USER_ROLES = new Set(['human', 'user']);
const ASSISTANT_ROLES = new Set(['gpt', 'assistant']);

function roleOf(value: Json | undefined): TurnRole {
  if (typeof value !== 'string') return 'other';
  return USER_ROLES.has(value) ? 'user' : ASSISTANT_ROLES.has(value) ? 'assistant' : 'other';
}

function imageUrlOf(part: JsonObject): string | null {
  const imageUrl = part.image_url;
  const url = isJsonObject(imageUrl) ? imageUrl.url : imageUrl;
  return part.type === 'image_url' && typeof url === 'string' ? url : null;
}

function readTurn(turn: Json, path: JsonPath): Turn {
  if (!isJsonObject(turn)) return { role: 'other', texts: [], imageUrls: [], hasParts: false };
  const role = roleOf(turn.from ?? turn.role);
  // sharegpt writes {from, value}, OpenAI and LLaMA-Factory's messages {role, content}.
  const contentKey = 'value' in turn ? 'value' : 'content';
  const content = turn[contentKey];
  const contentPath = [...path, contentKey];
  if (typeof content === 'string') return { role, texts: [{ text: content, path: contentPath }], imageUrls: [], hasParts: false };
  if (!Array.isArray(content)) return { role, texts: [], imageUrls: [], hasParts: false };
  const texts: TextRef[] = [];
  const imageUrls: string[] = [];
  content.forEach((part, index) => {
    if (!isJsonObject(part)) return;
    if (part.type === 'text' && typeof part.text === 'string') texts.push({ text: part.text, path: [...contentPath, index, 'text'] });
    const url = imageUrlOf(part);
    if (url !== null) imageUrls.push(url);
  });
  return { role, texts, imageUrls, hasParts: true };
}

/** The turns of a list of chat messages at `path`, or null when the value is not a list. */
export function readTurns(value: Json | undefined, path: JsonPath): Turn[] | null {
  return Array.isArray(value) ? value.map((turn, index) => readTurn(turn, [...path, index])) : null;
}

export function readChat(record: JsonObject): Chat | null {
  for (const key of CHAT_KEYS) {
    const turns = readTurns(record[key], [key]);
    if (turns) return { path: [key], turns };
  }
  return null;
}

/** The exchange a record is about: its first user turn and the first assistant turn after it. */
export function firstExchange(turns: Turn[]): { prompt: Turn | null; reply: Turn | null } {
  const promptIndex = turns.findIndex((turn) => turn.role === 'user');
  const reply = turns.find((turn, index) => index > promptIndex && turn.role === 'assistant') ?? null;
  return { prompt: promptIndex >= 0 ? turns[promptIndex] : null, reply };
}

/** A turn's text: its string, or its text parts joined by line breaks. */
export function turnText(turn: Turn): string {
  return turn.texts.map((ref) => ref.text).join('\n');
}

/** The 0-based positions of the turns outside the first exchange: system prompts, later questions and replies. */
export function turnsOutsideExchange(turns: Turn[]): number[] {
  const { prompt, reply } = firstExchange(turns);
  return turns.flatMap((turn, index) => (turn === prompt || turn === reply ? [] : [index]));
}
