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

function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
  return best;
}

/** Tokens worth considering, best first: the top k, then the smallest set reaching top-p mass. */
function shortlist(logits: Float32Array, sampling: Sampling): { ids: number[]; weights: number[] } {
  const inverseT = 1 / sampling.temperature;
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) > max) max = logits[i] as number;
  // Tokens below e^-30 of the best cannot be drawn by a float64 draw anyway; leaving them out keeps the sort short.
  const floor = max - 30 * sampling.temperature;
  let ids: number[] = [];
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) >= floor) ids.push(i);
  // Plain sampling draws from the whole list in vocabulary order; only truncation needs it ranked.
  if (sampling.topK > 0 || sampling.topP < 1) ids.sort((a, b) => (logits[b] as number) - (logits[a] as number) || a - b);
  if (sampling.topK > 0 && ids.length > sampling.topK) ids = ids.slice(0, sampling.topK);
  let weights = ids.map((id) => Math.exp(((logits[id] as number) - max) * inverseT));
  if (sampling.topP < 1) {
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    let mass = 0;
    let keep = 0;
    while (keep < weights.length && mass < sampling.topP * total) mass += weights[keep++] as number;
    ids = ids.slice(0, Math.max(1, keep));
    weights = weights.slice(0, ids.length);
  }
  return { ids, weights };
}

/**
 * Draws the next token. The log-probability returned is the model's (temperature 1, no truncation), which is
 * what scorers compare; temperature, top-k and top-p only shape the draw.
 */
export function sampleToken(logits: Float32Array, sampling: Sampling, random: () => number): { token: number; logprob: number } {
  let token: number;
  if (sampling.temperature === 0) {
    token = argmax(logits);
  } else {
    const { ids, weights } = shortlist(logits, sampling);
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    let draw = random() * total;
    token = ids[ids.length - 1] as number;
    for (let i = 0; i < ids.length; i++) {
      draw -= weights[i] as number;
      if (draw < 0) {
        token = ids[i] as number;
        break;
      }
    }
  }
  return { token, logprob: logProbability(logits, token) };
}
