import type { LocalEngine } from '../../engine/localEngine';
import type { GenerationRequest, GenerationResult } from '../../protocol';
import type { BenchPrompt } from './prompt';

/** One model under test: the engine (prefix cache off) and what every measure decodes. */
export interface Subject {
  name: string;
  engine: LocalEngine;
  prompt: BenchPrompt;
  /** Tokens each candidate decodes. */
  tokens: number;
  /** The images every request shows a vision-language model (data URIs), before the prompt's text; none for a text model. */
  images: string[];
  repeats: number;
  log(message: string): void;
}

/** Seed of candidate 0 in sampled runs; candidate i draws with seed + i, in a batch or alone. */
export const SEED = 1234;

/** Greedy decoding of exactly `tokens` tokens (after the images, for a vision-language model). */
export const greedyRequest = (text: string, tokens: number, images: readonly string[] = []): GenerationRequest => ({
  prompt: { text },
  ...(images.length > 0 && { images: [...images] }),
  sampling: { n: 1, maxTokens: tokens, temperature: 0, ignoreEos: true },
});

/** `n` candidates drawn at temperature 1, each exactly `tokens` tokens long. */
export const sampledRequest = (text: string, tokens: number, n: number, seed: number, images: readonly string[] = []): GenerationRequest => ({
  prompt: { text },
  ...(images.length > 0 && { images: [...images] }),
  sampling: { n, maxTokens: tokens, temperature: 1, seed, ignoreEos: true },
});

/** Tokens kept over all candidates of one or more results. */
export const keptTokens = (results: readonly GenerationResult[]): number =>
  results.reduce((sum, result) => sum + result.candidates.reduce((total, candidate) => total + candidate.tokens.length, 0), 0);

export const perSecond = (count: number, ms: number): number => (count / ms) * 1000;
