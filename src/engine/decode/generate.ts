import type * as Ort from 'onnxruntime-node';
import type { Candidate, Sampling, TokenEvent } from '../../protocol';
import { CandidateDecode, type Detokenize } from './candidate';
import type { Forward, ForwardResult } from './forward';
import { KvCache } from './kvCache';
import type { PrefixCache, PrefixLease } from './prefixCache';
import { seededRandom } from '../../random';
import { sampleToken } from './sampler';
import { TextRegex } from './textRegex';

export interface DecodeInput {
  promptTokens: readonly number[];
  /**
   * What the prefix cache knows the prompt by, token for token: the tokens themselves, or for a prompt with images
   * the tokens with each image's tokens standing for that image (`imageCacheKey`), so that a cached prefix of one
   * image is never resumed for another.
   */
  cacheKey?: readonly number[];
  sampling: Sampling;
  /** Seed of candidate 0; candidate i draws with seed + i, so a batch equals the same seeds run one by one. */
  seed: number;
  eosIds: ReadonlySet<number>;
  detokenize: Detokenize;
  signal?: AbortSignal;
  onToken?: (event: TokenEvent) => void;
}

export interface DecodeOutput {
  candidates: Candidate[];
  /** From the first model call to the last token. */
  generateMs: number;
  tokensComputed: number;
}

/** Model time between two looks at the event loop (a cancel, a status request), bounding cancel latency. */
const YIELD_EVERY_MS = 5;
const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The past to resume the prompt from: the longest cached prefix, or nothing (`key`: the prompt as the cache knows it). */
async function resume(
  ort: typeof Ort,
  forward: Forward,
  cache: PrefixCache | undefined,
  key: readonly number[],
): Promise<{ past: KvCache; lease?: PrefixLease }> {
  const found = cache?.lookup(key);
  if (!cache || !found) return { past: KvCache.empty(ort, forward.shape, 1) };
  const lease = cache.lease(found);
  const past = lease.kv.length === lease.length ? lease.kv : await lease.kv.select(ort, [0], lease.length);
  return { past, lease };
}

/**
 * Runs the prompt (less any cached prefix, which it resumes from) and caches its past: the start of every
 * decode, and all a scorer needs (the logits after the prompt).
 */
export async function prefill(
  ort: typeof Ort,
  forward: Forward,
  cache: PrefixCache | undefined,
  promptTokens: readonly number[],
  key: readonly number[] = promptTokens,
): Promise<ForwardResult> {
  if (promptTokens.length === 0) throw new RangeError('the prompt has no tokens');
  if (key.length !== promptTokens.length) throw new RangeError(`a cache key of ${key.length} for a prompt of ${promptTokens.length} tokens`);
  const { past, lease } = await resume(ort, forward, cache, key);
  try {
    const result = await forward.run([promptTokens.slice(past.length)], past);
    cache?.insert(key, result.present);
    return result;
  } finally {
    lease?.release();
  }
}

/**
 * Caches the past of candidates that just finished, so a later request that continues one of them (the
 * rest of a response after an accepted stage, a tree-search child) resumes instead of recomputing.
 */
async function keepFinished(
  ort: typeof Ort,
  cache: PrefixCache,
  prompt: readonly number[],
  candidates: readonly CandidateDecode[],
  active: readonly number[],
  stillActive: readonly number[],
  past: KvCache,
): Promise<void> {
  const covered = past.length - prompt.length;
  for (let row = 0; row < active.length; row++) {
    if (stillActive.includes(row) || covered <= 0) continue;
    const generated = (candidates[active[row] as number] as CandidateDecode).generated;
    if (generated.length < covered) continue;
    cache.insert([...prompt, ...generated.slice(0, covered)], await past.select(ort, [row]));
  }
}

/**
 * Decodes `n` candidates from one prompt as one batch: the prompt (less any cached prefix) runs once, its
 * past is fanned out to the candidates, and finished candidates leave the batch.
 */
export async function decode(ort: typeof Ort, forward: Forward, cache: PrefixCache | undefined, input: DecodeInput): Promise<DecodeOutput> {
  const { promptTokens, sampling, signal } = input;
  const computedBefore = forward.tokensComputed;
  const started = performance.now();

  const key = input.cacheKey ?? promptTokens;
  const prompt = await prefill(ort, forward, cache, promptTokens, key);

  const regex = sampling.regex === undefined ? undefined : TextRegex.compile(sampling.regex);
  const candidates = Array.from(
    { length: sampling.n },
    () => new CandidateDecode(input.detokenize, sampling.stop, sampling.maxTokens, input.onToken !== undefined, sampling.forbid, regex),
  );
  const randoms = candidates.map((_, i) => seededRandom(input.seed + i));
  let active = candidates.map((_, i) => i);
  let past = await prompt.present.select(
    ort,
    active.map(() => 0),
  );
  let logits = active.map(() => prompt.lastLogits[0] as Float32Array);
  const emit = (candidate: number, text: string) => {
    if (text) input.onToken?.({ candidate, text });
  };

  let lastYield = performance.now();
  while (active.length > 0) {
    const next: number[] = [];
    const stillActive: number[] = [];
    active.forEach((index, row) => {
      const candidate = candidates[index] as CandidateDecode;
      if (signal?.aborted) {
        emit(index, candidate.end('cancelled'));
        return;
      }
      // The segment's grammar: no forbidden string, no text the expression cannot match, and no end of the sequence
      // before the stop string when one is required or before the text matches the expression.
      const allowed = (token: number): boolean =>
        !sampling.ignoreEos && input.eosIds.has(token) ? !sampling.requireStop && candidate.mayEnd() : candidate.allows(token);
      const { token, logprob } = sampleToken(logits[row] as Float32Array, sampling, randoms[index] as () => number, allowed);
      if (!sampling.ignoreEos && input.eosIds.has(token)) {
        emit(index, candidate.end('eos'));
        return;
      }
      emit(index, candidate.push(token, logprob));
      if (candidate.done) return;
      next.push(token);
      stillActive.push(row);
    });
    if (cache && stillActive.length < active.length) await keepFinished(ort, cache, key, candidates, active, stillActive, past);
    if (stillActive.length === 0) break;
    if (stillActive.length < active.length) {
      const compacted = await past.select(ort, stillActive);
      past.dispose();
      past = compacted;
    }
    active = stillActive.map((row) => active[row] as number);
    if (performance.now() - lastYield > YIELD_EVERY_MS) {
      await yieldToEvents();
      lastYield = performance.now();
    }
    const step = await forward.run(
      next.map((token) => [token]),
      past,
    );
    past.dispose();
    past = step.present;
    logits = step.lastLogits;
  }
  past.dispose();

  return {
    candidates: candidates.map((candidate) => candidate.result()),
    generateMs: performance.now() - started,
    tokensComputed: forward.tokensComputed - computedBefore,
  };
}
