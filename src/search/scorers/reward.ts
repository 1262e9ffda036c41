import { REWARDS, type RewardName } from '../../rewards';
import type { Ranking, Scorer, ScoringContext, SegmentCandidate } from './types';
import { byScore } from './types';

/**
 * A rule reward from the rewards library on the response so far plus the candidate, with the record's
 * ground truth and key steps: no model calls, so it is the scorer of choice when a ground truth exists.
 */
export class RewardScorer implements Scorer {
  readonly name: string;

  constructor(private readonly reward: RewardName) {
    this.name = `reward:${reward}`;
  }

  async rank(candidates: readonly SegmentCandidate[], context: ScoringContext): Promise<Ranking> {
    const { groundTruth, keySteps } = context.record;
    const reward = REWARDS[this.reward];
    if (reward.needs.includes('groundTruth') && groundTruth === null)
      throw new Error(`the ${this.reward} reward needs a ground truth, and this record has none`);
    const scores = candidates.map((entry) => reward.score({ output: context.prefix + entry.text, groundTruth, keySteps }));
    return { order: byScore(scores), scores, judgeCalls: 0, notes: [] };
  }
}
