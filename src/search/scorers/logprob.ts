import type { Ranking, Scorer, SegmentCandidate } from './types';
import { byScore } from './types';

/** The model's own confidence in a candidate: its mean token log-probability. */
export const meanLogprob = ({ candidate }: SegmentCandidate): number =>
  candidate.logprob / Math.max(1, candidate.tokens.length || candidate.tokenLogprobs.length);

/** Ranks by the model's own confidence, with no extra calls. */
export class LogprobScorer implements Scorer {
  readonly name = 'logprob';

  async rank(candidates: readonly SegmentCandidate[]): Promise<Ranking> {
    const scores = candidates.map(meanLogprob);
    return { order: byScore(scores), scores, judgeCalls: 0, notes: [] };
  }
}
