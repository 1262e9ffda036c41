import { z } from 'zod';
import { countImageTokens, IMAGE_TOKEN } from '../dataset/formats/chat';
import type { ConversationTurn, ParsedRecord } from '../dataset/record';
import { assistantReplies, resolveReply } from '../dataset/replies';
import type { ExportImages } from './images';
import { isRefusal, type Refusal } from './types';

export { countImageTokens };

/** A text part of a multimodal message; TRL and OpenAI share its shape. */
export const textPartSchema = z.object({ type: z.literal('text'), text: z.string() }).strict();

/** The record's first user question, placeholders kept. */
export function questionOf(parsed: ParsedRecord): string | Refusal {
  return parsed.question ?? { refusal: 'the record has no user question' };
}

/** The images of the first question: all the record's, unless its conversation places some in later turns. */
export function questionImages(parsed: ParsedRecord): string[] {
  return parsed.conversation?.[0].images ?? parsed.images;
}

/** Whether the `<image>` placeholders in a line's texts match its images one for one. */
export function imageTokensMatch(texts: string[], images: string[]): boolean {
  return texts.reduce((count, text) => count + countImageTokens(text), 0) === images.length;
}

/** A turn's text and its placeholder count, refused when it has more placeholders than it has images. */
function withTokenCount(text: string, images: number, what: string): { text: string; tokens: number } | Refusal {
  const tokens = countImageTokens(text);
  if (tokens > images) return { refusal: `${what} has ${tokens} ${IMAGE_TOKEN} placeholders but the record has ${images} images for it` };
  return { text, tokens };
}

/** For formats that carry images as content parts: the parts stand for the placeholders, so the text drops them. */
function withoutImageTokens(text: string, images: number, what: string): string | Refusal {
  const counted = withTokenCount(text, images, what);
  if (isRefusal(counted)) return counted;
  return counted.tokens === 0 ? counted.text : counted.text.replace(/<image>\n?/g, '').trim();
}

/** For formats that count placeholders against images: missing placeholders go at the start of the text. */
function withImageTokens(text: string, images: number, what: string, placeholder = IMAGE_TOKEN): string | Refusal {
  const counted = withTokenCount(text, images, what);
  if (isRefusal(counted)) return counted;
  return placeholder.repeat(images - counted.tokens) + counted.text;
}

export function questionWithoutImageTokens(parsed: ParsedRecord): string | Refusal {
  const question = questionOf(parsed);
  return isRefusal(question) ? question : withoutImageTokens(question, questionImages(parsed).length, 'the question');
}

/** The question with a placeholder per image, the missing ones as `placeholder` (InternVL writes `<image>\n`) in front. */
export function questionWithImageTokens(parsed: ParsedRecord, placeholder = IMAGE_TOKEN): string | Refusal {
  const question = questionOf(parsed);
  return isRefusal(question) ? question : withImageTokens(question, questionImages(parsed).length, 'the question', placeholder);
}

/** A turn of the conversation with its place in it. */
export interface PlacedTurn extends ConversationTurn {
  /** 1-based place in the conversation (the first question is turn 1), for refusals. */
  place: number;
}

/**
 * Turns written one by one with the export paths of the images each places, and all those paths in order: what
 * the formats that keep a record's images in one list beside its turns (TRL, LLaMA-Factory) both need.
 */
export function turnsWithImages<T>(
  turns: PlacedTurn[] | Refusal,
  exportImages: ExportImages,
  write: (turn: PlacedTurn, images: string[]) => T,
): { turns: T[]; images: string[] } | Refusal {
  if (isRefusal(turns)) return turns;
  const written: T[] = [];
  const images: string[] = [];
  for (const turn of turns) {
    const paths = exportImages.paths(turn.images);
    if (isRefusal(paths)) return paths;
    written.push(write(turn, paths));
    images.push(...paths);
  }
  return { turns: written, images };
}

/** How a format writes a question's `<image>` placeholders: kept (one per image) or dropped for image parts. */
export type Placeholders = 'kept' | 'dropped';

const named = (role: PlacedTurn['role']): string => (role === 'user' ? 'a user' : 'an assistant');

/** Questions and replies take turns from a question on; the first turn out of order is refused. */
function takingTurns(turns: Pick<PlacedTurn, 'role' | 'place'>[]): Refusal | null {
  for (const turn of turns) {
    const due = turn.place % 2 === 1 ? 'user' : 'assistant';
    if (turn.role !== due)
      return {
        refusal: `turn ${turn.place} of the conversation is ${named(turn.role)} turn where ${named(due)} turn is due: questions and replies must take turns`,
      };
  }
  return null;
}

/** The turns as a format writes them: each question's text with its placeholders as the format has them. */
function writtenTurns(turns: PlacedTurn[], placeholders: Placeholders): PlacedTurn[] | Refusal {
  const write = placeholders === 'kept' ? withImageTokens : withoutImageTokens;
  const written: PlacedTurn[] = [];
  for (const turn of turns) {
    const what = turn.place === 1 ? 'the question' : `turn ${turn.place} of the conversation`;
    const text = turn.role === 'user' ? write(turn.text, turn.images.length, what) : turn.text;
    if (isRefusal(text)) return text;
    written.push({ ...turn, text });
  }
  return written;
}

/**
 * The turns after the record's first reply, for the formats that write the whole conversation: questions and
 * replies taking turns, the last a reply (a trainer learns from the replies; a question left unanswered
 * teaches nothing and breaks LLaMA-Factory's pairing). Each question's text has its placeholders as the
 * format writes them.
 */
export function laterTurns(parsed: ParsedRecord, placeholders: Placeholders): PlacedTurn[] | Refusal {
  const later = (parsed.conversation ?? []).slice(2).map((turn, index) => ({ ...turn, place: index + 3 }));
  const order = takingTurns(later);
  if (order) return order;
  if (later.length % 2 === 1) return { refusal: `the conversation ends with a question (turn ${later.length + 2}) that has no reply` };
  return writtenTurns(later, placeholders);
}

/**
 * The prompt of reply `turn` (0-based among the assistant turns), for the formats that write a reply after
 * its context: the first reply's is the record's question; a later reply's is the conversation up to it, the
 * questions with the images they place and the earlier replies, its own question last.
 */
export function promptTurns(parsed: ParsedRecord, turn: number, placeholders: Placeholders): PlacedTurn[] | Refusal {
  if (turn === 0) {
    const question = questionOf(parsed);
    if (isRefusal(question)) return question;
    return writtenTurns([{ role: 'user', text: question, images: questionImages(parsed), place: 1 }], placeholders);
  }
  const replies = assistantReplies(parsed).length;
  if (turn >= replies) return { refusal: `there is no turn ${turn}: the record has ${replies} assistant turn${replies === 1 ? '' : 's'}` };
  const before = resolveReply(parsed, { turn }).before.map(({ role, text, images }, index) => ({ role, text, images, place: index + 1 }));
  const order = takingTurns([...before, { role: 'assistant', place: before.length + 1 }]);
  return order ?? writtenTurns(before, placeholders);
}
