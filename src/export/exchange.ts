import { z } from 'zod';
import { countImageTokens, IMAGE_TOKEN } from '../dataset/formats/chat';
import type { ConversationTurn, ParsedRecord } from '../dataset/record';
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
function withImageTokens(text: string, images: number, what: string): string | Refusal {
  const counted = withTokenCount(text, images, what);
  if (isRefusal(counted)) return counted;
  return IMAGE_TOKEN.repeat(images - counted.tokens) + counted.text;
}

export function questionWithoutImageTokens(parsed: ParsedRecord): string | Refusal {
  const question = questionOf(parsed);
  return isRefusal(question) ? question : withoutImageTokens(question, questionImages(parsed).length, 'the question');
}

export function questionWithImageTokens(parsed: ParsedRecord): string | Refusal {
  const question = questionOf(parsed);
  return isRefusal(question) ? question : withImageTokens(question, questionImages(parsed).length, 'the question');
}

/** A later turn of the conversation; the first question and reply are the record's question and response. */
export interface LaterTurn extends ConversationTurn {
  /** 1-based place in the conversation (the first question is turn 1), for refusals. */
  place: number;
}

/** How a format writes a question's `<image>` placeholders: kept (one per image) or dropped for image parts. */
export type Placeholders = 'kept' | 'dropped';

/**
 * The turns after the record's first reply, for the formats that write the whole conversation: questions and
 * replies taking turns, the last a reply (a trainer learns from the replies; a question left unanswered
 * teaches nothing and breaks LLaMA-Factory's pairing). Each question's text has its placeholders as the
 * format writes them.
 */
export function laterTurns(parsed: ParsedRecord, placeholders: Placeholders): LaterTurn[] | Refusal {
  const later = (parsed.conversation ?? []).slice(2).map((turn, index) => ({ ...turn, place: index + 3 }));
  for (const [index, turn] of later.entries()) {
    const due = index % 2 === 0 ? 'user' : 'assistant';
    if (turn.role !== due) return { refusal: `turn ${turn.place} of the conversation is a ${turn.role} turn where a ${due} turn is due: questions and replies must take turns` };
  }
  if (later.length % 2 === 1) return { refusal: `the conversation ends with a question (turn ${later.length + 2}) that has no reply` };
  const written: LaterTurn[] = [];
  for (const turn of later) {
    const write = placeholders === 'kept' ? withImageTokens : withoutImageTokens;
    const text = turn.role === 'user' ? write(turn.text, turn.images.length, `turn ${turn.place} of the conversation`) : turn.text;
    if (isRefusal(text)) return text;
    written.push({ ...turn, text });
  }
  return written;
}
