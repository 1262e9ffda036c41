import type { Ranking, Scorer, SegmentCandidate } from './types';
import { byScore } from './types';

/** The model's own confidence: mean token log-probability, no extra calls. */
export class LogprobScorer implements Scorer {
  readonly name = 'logprob';

  async rank(candidates: readonly SegmentCandidate[]): Promise<Ranking> {
    const scores = candidates.map(({ candidate }) => candidate.logprob / Math.max(1, candidate.tokens.length || candidate.tokenLogprobs.length));
    return { order: byScore(scores), scores, judgeCalls: 0, notes: [] };
  }
}
