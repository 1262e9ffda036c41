import type { Sampling } from '../../protocol';

/** log Σ exp(logits), computed stably: logit − this is a token's log-probability. */
export function logNormaliser(logits: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) > max) max = logits[i] as number;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) - max);
  return max + Math.log(sum);
}

const logProbability = (logits: Float32Array, token: number): number => (logits[token] as number) - logNormaliser(logits);

function argmax(logits: Float32Array, excluded: ReadonlySet<number>): number {
  const masked = excluded.size > 0;
  let best = -1;
  for (let i = 0; i < logits.length; i++) if ((!masked || !excluded.has(i)) && (best < 0 || (logits[i] as number) > (logits[best] as number))) best = i;
  return best;
}

/**
 * The tokens a draw can take, not excluded, within e^-30 of the best of them (below that a float64 draw cannot
 * reach), ranked best first when top-k or top-p truncates. `best` is the token the floor was set from.
 */
interface Ranked {
  ids: number[];
  best: number;
}

function ranked(logits: Float32Array, sampling: Sampling, excluded: ReadonlySet<number>): Ranked {
  const best = argmax(logits, excluded);
  if (best < 0) return { ids: [], best };
  const floor = (logits[best] as number) - 30 * sampling.temperature;
  const masked = excluded.size > 0;
  const ids: number[] = [];
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) >= floor && (!masked || !excluded.has(i))) ids.push(i);
  // Plain sampling draws from the whole list in vocabulary order; only truncation needs it ranked.
  if (sampling.topK > 0 || sampling.topP < 1) ids.sort((a, b) => (logits[b] as number) - (logits[a] as number) || a - b);
  return { ids, best };
}

/** One draw from the ranked tokens not excluded, shaped by temperature, top-k and top-p. */
function drawRanked(logits: Float32Array, sampling: Sampling, random: () => number, { ids: all, best }: Ranked, excluded: ReadonlySet<number>): number {
  let ids = excluded.size > 0 ? all.filter((id) => !excluded.has(id)) : all;
  if (ids.length === 0) return argmax(logits, excluded);
  if (sampling.topK > 0 && ids.length > sampling.topK) ids = ids.slice(0, sampling.topK);
  const max = logits[best] as number;
  const inverseT = 1 / sampling.temperature;
  let weights = ids.map((id) => Math.exp(((logits[id] as number) - max) * inverseT));
  if (sampling.topP < 1) {
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    let mass = 0;
    let keep = 0;
    while (keep < weights.length && mass < sampling.topP * total) mass += weights[keep++] as number;
    ids = ids.slice(0, Math.max(1, keep));
    weights = weights.slice(0, ids.length);
  }
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let left = random() * total;
  for (let i = 0; i < ids.length; i++) {
    left -= weights[i] as number;
    if (left < 0) return ids[i] as number;
  }
  return ids[ids.length - 1] as number;
}

/**
 * Draws the next token among those `allowed` (a segment's grammar): a drawn token that is not allowed is left out
 * and another drawn from the rest, which is drawing from the distribution with those tokens masked, while only
 * the tokens drawn are ever checked. A draw that no token breaks takes the same random numbers as without the
 * check. The log-probability returned is the model's (temperature 1, no truncation, no mask), which is what
 * scorers compare; temperature, top-k, top-p and the mask only shape the draw.
 */
export function sampleToken(
  logits: Float32Array,
  sampling: Sampling,
  random: () => number,
  allowed: (token: number) => boolean = () => true,
): { token: number; logprob: number } {
  const excluded = new Set<number>();
  let tokens: Ranked | undefined;
  for (;;) {
    let token: number;
    if (sampling.temperature === 0) token = argmax(logits, excluded);
    else {
      // The ranking outlives a token left out, unless it was the best one, from which the floor was set.
      if (tokens === undefined || excluded.has(tokens.best)) tokens = ranked(logits, sampling, excluded);
      token = drawRanked(logits, sampling, random, tokens, excluded);
    }
    if (token < 0) throw new Error('no token of the vocabulary may come next: each would break the markup the candidate must keep');
    if (allowed(token)) return { token, logprob: logProbability(logits, token) };
    excluded.add(token);
  }
}
