import { rewardNameSchema } from '../../rewards';
import { z } from 'zod';
import { AnswerJudge } from './answerJudge';
import { KnockoutJudge } from './knockout';
import { LogprobScorer } from './logprob';
import { RewardScorer } from './reward';
import { type NextTokenLogprobs, type RewardModelFormat, RewardModelScorer } from './rewardModel';
import { StepJudge } from './stepJudge';
import { JudgeTemplates, type TemplateOverrides } from './templates';
import type { Scorer } from './types';

export type { Ranking, Scorer, ScoringContext, SegmentCandidate } from './types';
export { DEFAULT_TEMPLATES, JudgeTemplates, type TemplateOverrides, templateOverridesSchema } from './templates';
export { type NextTokenLogprobs, type RewardModelFormat, rewardModelFormatSchema } from './rewardModel';

/** How candidates are ranked: a judge, the model's own confidence, or a rule reward (`reward:NAME`). */
export const rankingSchema = z.union([
  z.enum(['knockout', 'step-judge', 'answer-judge', 'logprob', 'reward-model']),
  z.templateLiteral(['reward:', rewardNameSchema]),
]);
export type RankingMethod = z.infer<typeof rankingSchema>;

/** A reward model the `reward-model` ranking can ask; only needed for that one. */
export interface RewardModelAccess {
  name: string;
  nextToken: NextTokenLogprobs;
  format: RewardModelFormat;
}

export function makeScorer(method: RankingMethod, overrides: TemplateOverrides = {}, rewardModel?: RewardModelAccess): Scorer {
  const templates = new JudgeTemplates(overrides);
  switch (method) {
    case 'reward-model':
      if (!rewardModel) throw new Error('ranking by a reward model needs one: set cotStudio.rewardModel.model to a model folder');
      return new RewardModelScorer(rewardModel.name, rewardModel.nextToken, rewardModel.format);
    case 'knockout':
      return new KnockoutJudge(templates);
    case 'step-judge':
      return new StepJudge(templates);
    case 'answer-judge':
      return new AnswerJudge(templates);
    case 'logprob':
      return new LogprobScorer();
    default:
      return new RewardScorer(rewardNameSchema.parse(method.slice('reward:'.length)));
  }
}
