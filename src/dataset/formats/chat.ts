import { type ConversationTurn, isJsonObject, type Json, type JsonObject, type JsonPath, type ParsedRecord } from '../record';
import type { TextRef } from './segment';
import { flatMapped } from '../flatMapped';

export type TurnRole = 'system' | 'user' | 'assistant' | 'other';

/** One chat turn: its text strings (one, or one per text part) and the images it places itself. */
export interface Turn {
  readonly role: TurnRole;
  readonly texts: readonly TextRef[];
  /** Urls of `image_url` parts, paths of `image` parts and of the turn's own `image_path` (R1-V). */
  readonly imageUrls: readonly string[];
  /** Whether the content is an OpenAI list of parts rather than a string. */
  readonly hasParts: boolean;
  /** TRL's bare `{"type": "image"}` parts: each stands for the next of the record's listed `images`. */
  readonly imageSlots: number;
}

export interface Chat {
  readonly path: JsonPath;
  readonly turns: readonly Turn[];
}

/** Where sharegpt-style records keep their turns; LLaMA-Factory accepts both. */
export const CHAT_KEYS = ['messages', 'conversations'] as const;

const USER_ROLES = new Set(['human', 'user']);
const ASSISTANT_ROLES = new Set(['gpt', 'assistant']);

function roleOf(value: Json | undefined): TurnRole {
  if (typeof value !== 'string') return 'other';
  if (value === 'system') return 'system';
  return USER_ROLES.has(value) ? 'user' : ASSISTANT_ROLES.has(value) ? 'assistant' : 'other';
}

/**
 * The image a content part places: OpenAI's `image_url` url, or the path of an `image` part (Qwen-VL's
 * `{"type": "image", "image": PATH}`, or `image_path`), or LLaMA-Factory's newer `{"type": "image_url",
 * "value": PATH}`; TRL's bare `{"type": "image"}` names none.
 */
function imageUrlOf(part: JsonObject): string | null {
  if (part.type === 'image') {
    const image = part.image ?? part.image_path;
    return typeof image === 'string' ? image : null;
  }
  const imageUrl = part.image_url ?? part.value;
  const url = isJsonObject(imageUrl) ? imageUrl.url : imageUrl;
  return part.type === 'image_url' && typeof url === 'string' ? url : null;
}

/** R1-V's SFT turns name their image beside the text: `{"from": "user", "value": ..., "image_path": PATH}`. */
function turnImagePath(turn: JsonObject): string[] {
  return typeof turn.image_path === 'string' ? [turn.image_path] : [];
}

function readTurn(turn: Json, path: JsonPath): Turn {
  if (!isJsonObject(turn)) return { role: 'other', texts: [], imageUrls: [], hasParts: false, imageSlots: 0 };
  const role = roleOf(turn.from ?? turn.role);
  // sharegpt writes {from, value}, OpenAI and LLaMA-Factory's messages {role, content}.
  const contentKey = 'value' in turn ? 'value' : 'content';
  const content = turn[contentKey];
  const contentPath = [...path, contentKey];
  if (typeof content === 'string')
    return { role, texts: [{ text: content, path: contentPath }], imageUrls: turnImagePath(turn), hasParts: false, imageSlots: 0 };
  if (!Array.isArray(content)) return { role, texts: [], imageUrls: turnImagePath(turn), hasParts: false, imageSlots: 0 };
  const texts: TextRef[] = [];
  const imageUrls: string[] = turnImagePath(turn);
  let imageSlots = 0;
  content.forEach((part, index) => {
    if (!isJsonObject(part)) return;
    // OpenAI's text parts hold `text`; LLaMA-Factory's newer layout `value`.
    const textKey = typeof part.text === 'string' ? 'text' : 'value';
    const text = part[textKey];
    if (part.type === 'text' && typeof text === 'string') texts.push({ text, path: [...contentPath, index, textKey] });
    const url = imageUrlOf(part);
    if (url !== null) imageUrls.push(url);
    else if (part.type === 'image') imageSlots += 1;
  });
  return { role, texts, imageUrls, hasParts: true, imageSlots };
}

/** The turns of a list of chat messages at `path`, or null when the value is not a list. */
export function readTurns(value: Json | undefined, path: JsonPath): Turn[] | null {
  return Array.isArray(value) ? value.map((turn, index) => readTurn(turn, [...path, index])) : null;
}

/** The record `readChat` read last, and its chat: detection, parsing and several checks each ask for the same record's. */
let lastRecord: JsonObject | undefined;
let lastChat: Chat | null = null;

/**
 * The record's chat list as turns. A parsed record is never changed in place (an edit rewrites its line, which
 * is parsed again), so the chat of the record read last is given again without reading its turns again.
 */
export function readChat(record: JsonObject): Chat | null {
  if (record !== lastRecord) {
    lastChat = readChatTurns(record);
    lastRecord = record;
  }
  return lastChat;
}

function readChatTurns(record: JsonObject): Chat | null {
  for (const key of CHAT_KEYS) {
    const turns = readTurns(record[key], [key]);
    if (turns) return { path: [key], turns };
  }
  return null;
}

/**
 * The exchange a record is about: its first user turn and the first assistant turn after it, and the system
 * turns before that question (the system prompt).
 */
export function firstExchange(turns: readonly Turn[]): { system: Turn[]; prompt: Turn | null; reply: Turn | null } {
  const promptIndex = turns.findIndex((turn) => turn.role === 'user');
  const reply = turns.find((turn, index) => index > promptIndex && turn.role === 'assistant') ?? null;
  const system = turns.slice(0, promptIndex >= 0 ? promptIndex : turns.length).filter((turn) => turn.role === 'system');
  return { system, prompt: promptIndex >= 0 ? turns[promptIndex] : null, reply };
}

/** A record's system prompt: its system turns before the question, or sharegpt's top-level `system` field. */
export function systemPrompt(record: JsonObject, turns: readonly Turn[]): string | null {
  const texts = firstExchange(turns).system.map(turnText);
  if (typeof record.system === 'string' && record.system !== '') texts.unshift(record.system);
  return texts.length > 0 ? texts.join('\n') : null;
}

/** A turn's text: its string, or its text parts joined by line breaks. */
export function turnText(turn: Turn): string {
  return turn.texts.map((ref) => ref.text).join('\n');
}

/** The image placeholder of LLaVA-style prompts and LLaMA-Factory. */
export const IMAGE_TOKEN = '<image>';

export function countImageTokens(text: string): number {
  return text.split(IMAGE_TOKEN).length - 1;
}

/**
 * The turns after the first reply, when every one is a question or a reply: the exchanges the conversation goes
 * on with. Empty when there are none, or when one is a system or tool turn, which no export can place.
 */
export function laterExchanges(turns: readonly Turn[]): Turn[] {
  const { reply } = firstExchange(turns);
  if (!reply) return [];
  const later = turns.slice(turns.indexOf(reply) + 1);
  return later.every((turn) => turn.role === 'user' || turn.role === 'assistant') ? later : [];
}

/**
 * The conversation from the first question on, each turn with the images it places: its own image parts, and
 * the record's listed images matched in order to the user turns' `<image>` placeholders (LLaMA-Factory) and
 * TRL's bare image parts. Listed images without either belong to the first question, in front of its
 * placeholders, as exports write them.
 */
export function readConversation(listed: string[], turns: readonly Turn[]): ConversationTurn[] {
  const tokens = turns.map((turn) => turn.imageSlots + (turn.role === 'user' ? countImageTokens(turnText(turn)) : 0));
  const unplaced = Math.max(0, listed.length - tokens.reduce((sum, count) => sum + count, 0));
  let next = 0;
  return turns.map((turn, index) => {
    const count = tokens[index] + (index === 0 ? unplaced : 0);
    const placed = listed.slice(next, next + count);
    next += count;
    return { role: turn.role === 'user' ? 'user' : 'assistant', text: turnText(turn), images: [...placed, ...turn.imageUrls] };
  });
}

/** Turns of a chat list, as a person finds them: 0-based positions and `4 (human)` (1-based, the role as the record writes it). */
export interface TurnGroup {
  indices: number[];
  described: string[];
}

/** Chat turns a record holds outside the exchange it is read as (its system prompt aside). */
export interface TurnsOutside {
  /** The chat list's key, `conversations` or `messages`. */
  key: string;
  /** Later questions and replies of a record read with its conversation: the chat exports write them. */
  later: TurnGroup | null;
  /** Turns no export writes: other roles, turns between the question and its reply, later turns of other formats. */
  lost: TurnGroup | null;
}

/**
 * The later questions and replies of a chat record, and turns of other roles (tools): CoT Studio shows, checks
 * and exports the later exchanges of a record read with its conversation (the chat exports write them; the
 * preference and step exports, written from the first reply, cannot), and none of the other turns.
 * VL-PRM300K's conversation is none: it restates the steps and labels that are read from `steps_with_score`.
 */
export function turnsOutsideExchange(record: JsonObject, parsed: ParsedRecord): TurnsOutside | null {
  if (parsed.format === 'visualprm') return null;
  const chat = readChat(record);
  if (!chat) return null;
  const { system, prompt, reply } = firstExchange(chat.turns);
  const indices = flatMapped(chat.turns, (turn, index) => (turn === prompt || turn === reply || system.includes(turn) ? [] : [index]));
  if (indices.length === 0) return null;
  const [key] = chat.path as [string];
  const list = record[key];
  const group = (chosen: number[]): TurnGroup | null => {
    if (chosen.length === 0) return null;
    const described = chosen.map((index) => {
      const turn = Array.isArray(list) ? list[index] : undefined;
      const role = isJsonObject(turn) ? (turn.from ?? turn.role) : undefined;
      return `${index + 1} (${typeof role === 'string' ? role : 'no role'})`;
    });
    return { indices: chosen, described };
  };
  const afterReply = reply ? chat.turns.indexOf(reply) : chat.turns.length;
  const isLater = (index: number): boolean => parsed.conversation !== undefined && index > afterReply;
  return { key, later: group(indices.filter(isLater)), lost: group(indices.filter((index) => !isLater(index))) };
}
