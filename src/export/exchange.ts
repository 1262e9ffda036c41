import { z } from 'zod';
import type { ParsedRecord } from '../dataset/record';
import { isRefusal, type Refusal } from './types';

/** The image placeholder of LLaVA-style prompts and LLaMA-Factory. */
const IMAGE_TOKEN = '<image>';

/** A text part of a multimodal message; TRL and OpenAI share its shape. */
export const textPartSchema = z.object({ type: z.literal('text'), text: z.string() }).strict();

/** The record's first user question, placeholders kept. */
export function questionOf(parsed: ParsedRecord): string | Refusal {
  return parsed.question ?? { refusal: 'the record has no user question' };
}

export function countImageTokens(text: string): number {
  return text.split(IMAGE_TOKEN).length - 1;
}

/** Whether the `<image>` placeholders in a line's texts match its images one for one. */
export function imageTokensMatch(texts: string[], images: string[]): boolean {
  return texts.reduce((count, text) => count + countImageTokens(text), 0) === images.length;
}

/** The question and its placeholder count, refused when it has more placeholders than the record has images. */
function questionWithTokenCount(parsed: ParsedRecord): { question: string; tokens: number } | Refusal {
  const question = questionOf(parsed);
  if (isRefusal(question)) return question;
  const tokens = countImageTokens(question);
  if (tokens > parsed.images.length) {
    return { refusal: `the question has ${tokens} ${IMAGE_TOKEN} placeholders but the record has ${parsed.images.length} images` };
  }
  return { question, tokens };
}

/** For formats that carry images as content parts: the parts stand for the placeholders, so the text drops them. */
export function questionWithoutImageTokens(parsed: ParsedRecord): string | Refusal {
  const counted = questionWithTokenCount(parsed);
  if (isRefusal(counted)) return counted;
  return counted.tokens === 0 ? counted.question : counted.question.replace(/<image>\n?/g, '').trim();
}

/** For formats that count placeholders against images: missing placeholders go at the start of the question. */
export function questionWithImageTokens(parsed: ParsedRecord): string | Refusal {
  const counted = questionWithTokenCount(parsed);
  if (isRefusal(counted)) return counted;
  return IMAGE_TOKEN.repeat(parsed.images.length - counted.tokens) + counted.question;
}
