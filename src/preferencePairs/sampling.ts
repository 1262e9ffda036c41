import type { Backend } from '../backends/types';
import type { GenerationRequest } from '../protocol';
import type { PairSettings } from './settings';

/** What the model answered to a record's question; undefined from `sampleResponses` when the run was cancelled. */
export interface SampledResponses {
  texts: string[];
  /** The model as the backend names it, for the pairs' provenance. */
  model: string;
  /** How many of the question's images the model saw, when the backend says. */
  imagesSeen: number | undefined;
}

/**
 * The request that samples answers to a record's question: the question as the user turn with the record's
 * images (as the model gets them), `samples` candidates decoded as one batch.
 */
export function questionRequest(
  question: string,
  images: string[],
  settings: Pick<PairSettings, 'samples' | 'temperature' | 'maxTokens'>,
  seed: number,
): GenerationRequest {
  return {
    prompt: { messages: [{ role: 'user', content: question }], continueFinal: false },
    images,
    sampling: { n: settings.samples, temperature: settings.temperature, maxTokens: settings.maxTokens, seed },
  };
}

/** Samples the answers MPO pairs up; a response cut at the token limit is kept, usually as a format negative. */
export async function sampleResponses(backend: Backend, request: GenerationRequest, signal?: AbortSignal): Promise<SampledResponses | undefined> {
  const result = await backend.generate(request, signal ? { signal } : {});
  if (signal?.aborted || result.candidates.some((candidate) => candidate.finishReason === 'cancelled')) return undefined;
  return { texts: result.candidates.map((candidate) => candidate.text), model: result.model, imagesSeen: result.imagesSeen };
}
