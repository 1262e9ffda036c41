import { z } from 'zod';
import type { Backend } from '../backends/types';
import type { ParsedRecord } from '../dataset/record';
import { answersMatch } from '../rewards';
import { glueAfter, type ReplyTarget, responseOf, segmentRequest } from '../search/segmentPrompt';

/** How step prefixes are rolled out: Math-Shepherd's K completions per prefix, every prefix or a binary search for the first error. */
export const monteCarloOptionsSchema = z.object({
  /** Completions per step prefix, decoded as one batch. */
  rollouts: z.number().int().min(1).max(64).default(8),
  /** `linear` scores every step; `binary` (OmegaPRM) looks for the first step whose prefix no rollout finishes correctly. */
  search: z.enum(['linear', 'binary']).default('linear'),
  temperature: z.number().min(0).max(10).default(0.7),
  maxTokens: z.number().int().min(1).max(32_768).default(512),
  seed: z.number().int().min(0).default(0),
});
export type MonteCarloOptions = z.infer<typeof monteCarloOptionsSchema>;

/** One step's Monte Carlo estimate: of `total` completions from the response up to and with the step, `correct` reach the ground truth. */
export interface StepEstimate {
  /** The segment's index in the response. */
  index: number;
  correct: number;
  total: number;
  /** correct / total: VisualPRM's `num_mc_correct / num_mc_total`. */
  score: number;
}

export interface MonteCarloResult {
  /** The steps estimated, in order: every step (linear), or those the binary search visited. */
  steps: StepEstimate[];
  /** Completions drawn in all. */
  rollouts: number;
  /** The first step whose prefix no rollout finished correctly; null when every step leads somewhere right. */
  firstError: number | null;
  /** The policy as the backend names it, for provenance. */
  policy: string;
  /** Tokens the policy ran through the model, prompts included, and tokens it generated: the prefix cache's saving. */
  tokensComputed: number;
  tokensGenerated: number;
}

/**
 * Monte Carlo step scores (Math-Shepherd; VisualPRM's MC labels): for the response up to the end of each step, K
 * completions are drawn as one batch and checked against the record's ground truth with the answer rules. A
 * prefix shared by later ones is in the prefix cache, so each batch computes only its new tokens. The last step's
 * prefix is the whole response: its own answer decides it, with no rollout. With `binary`, OmegaPRM's search
 * estimates O(log n) prefixes to find the first whose score is 0, taking scores to fall once a step goes wrong.
 */
export async function monteCarloScores(
  backend: Backend,
  record: ParsedRecord,
  reply: ReplyTarget,
  input: z.input<typeof monteCarloOptionsSchema>,
  signal?: AbortSignal,
): Promise<MonteCarloResult> {
  const options = monteCarloOptionsSchema.parse(input);
  const groundTruth = record.groundTruth;
  if (groundTruth === null) throw new Error('the record has no ground truth to check completions against');
  const response = responseOf(record, reply);
  const count = response.segments.length;
  if (count === 0) throw new Error('the response has no steps');
  // Where the response ends (`</CONCLUSION>`, `</answer>`): a rollout that has written it has answered, and stops.
  const end = response.text.slice(response.segments[count - 1]?.span[1]).trim();
  let rollouts = 0;
  let tokensComputed = 0;
  let tokensGenerated = 0;
  let policy = backend.name;
  const estimates = new Map<number, StepEstimate>();

  const estimate = async (index: number): Promise<StepEstimate> => {
    const known = estimates.get(index);
    if (known) return known;
    const segment = response.segments[index];
    if (!segment) throw new RangeError(`no step ${index}`);
    const prefix = response.text.slice(0, segment.span[1]) + glueAfter(response, index);
    let correct: number;
    if (index === count - 1) {
      correct = answersMatch(response.text, groundTruth) ? options.rollouts : 0;
    } else {
      const { request } = segmentRequest(record, reply, index + 1, prefix);
      const result = await backend.generate(
        {
          prompt: request.prompt,
          ...(request.images === undefined ? {} : { images: request.images }),
          sampling: {
            n: options.rollouts,
            temperature: options.temperature,
            maxTokens: options.maxTokens,
            seed: options.seed + index * options.rollouts,
            ...(end === '' ? {} : { stop: [end] }),
          },
        },
        signal ? { signal } : {},
      );
      policy = result.model;
      rollouts += result.candidates.length;
      tokensComputed += result.tokensComputed;
      tokensGenerated += result.candidates.reduce((sum, candidate) => sum + candidate.tokens.length, 0);
      correct = result.candidates.filter((candidate) => answersMatch(prefix + candidate.text + (candidate.stopString ?? ''), groundTruth)).length;
    }
    const found = { index, correct, total: options.rollouts, score: correct / options.rollouts };
    estimates.set(index, found);
    return found;
  };

  let firstError: number | null = null;
  if (options.search === 'linear') {
    for (let index = 0; index < count && !signal?.aborted; index++) {
      const { score } = await estimate(index);
      if (score === 0 && firstError === null) firstError = index;
    }
  } else {
    // The first prefix with score 0, or none: scores are taken to stay at 0 after it.
    let low = 0;
    let high = count;
    while (low < high && !signal?.aborted) {
      const middle = Math.floor((low + high) / 2);
      if ((await estimate(middle)).score === 0) high = middle;
      else low = middle + 1;
    }
    firstError = low < count ? low : null;
  }
  const steps = [...estimates.values()].sort((a, b) => a.index - b.index);
  return { steps, rollouts, firstError, policy, tokensComputed, tokensGenerated };
}
