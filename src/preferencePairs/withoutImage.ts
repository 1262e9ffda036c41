import type { Backend } from '../backends/types';
import type { ParsedRecord } from '../dataset/record';
import { questionWithoutImageTokens } from '../export/exchange';
import { isRefusal } from '../export/types';
import type { GenerationRequest } from '../protocol';
import type { PairSettings } from './settings';

/** MPO keeps this share of the response's words and lets the model write the rest without the image. */
const KEPT_SHARE = 0.5;

/**
 * The response up to the end of its first half of words (rounded down), spacing and line breaks inside kept
 * as written; null when that is no word at all (a response of one word has nothing to continue).
 */
export function firstHalfOfWords(text: string): string | null {
  const words = [...text.matchAll(/\S+/g)];
  const kept = Math.floor(words.length * KEPT_SHARE);
  if (kept === 0) return null;
  const last = words[kept - 1];
  return text.slice(0, last.index + last[0].length);
}

/**
 * The request that continues a response's first half without the image: the question with its `<image>`
 * placeholders taken out, no images, and the prefix as an open assistant turn the model goes on from.
 */
export function withoutImageRequest(
  record: ParsedRecord,
  prefix: string,
  settings: Pick<PairSettings, 'temperature' | 'maxTokens'>,
  seed: number,
): GenerationRequest {
  const question = questionWithoutImageTokens(record);
  if (isRefusal(question)) throw new Error(question.refusal);
  return {
    prompt: {
      messages: [
        { role: 'user', content: question },
        { role: 'assistant', content: prefix },
      ],
      continueFinal: true,
    },
    sampling: { n: 1, temperature: settings.temperature, maxTokens: settings.maxTokens, seed },
  };
}

/** What continuing without the image gave: the rejected side, or why there is none. */
export type WithoutImageNegative = { rejected: string; model: string } | { skipped: 'no-new-text' } | { cancelled: true };

/**
 * MPO's pair for a response without a ground truth ("dropout next-token prediction", methods.md §2): the model
 * that no longer sees the image goes on from the response's first half, so what it writes is what it would
 * say without looking. The rejected side is that half plus the continuation; a continuation that is empty or
 * gives back the response itself is no negative.
 */
export async function withoutImageNegative(
  backend: Backend,
  request: GenerationRequest,
  chosen: string,
  prefix: string,
  signal?: AbortSignal,
): Promise<WithoutImageNegative> {
  const result = await backend.generate(request, signal ? { signal } : {});
  const candidate = result.candidates.at(0);
  if (signal?.aborted || candidate?.finishReason === 'cancelled') return { cancelled: true };
  const continuation = candidate?.text ?? '';
  const rejected = prefix + continuation;
  if (continuation.trim() === '' || rejected === chosen) return { skipped: 'no-new-text' };
  return { rejected, model: result.model };
}
