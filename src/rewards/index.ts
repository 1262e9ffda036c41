/**
 * Rule rewards from the reasoning-data papers (methods.md §1, §4-6), each a pure function of a response and,
 * where it needs them, the record's ground truth and key steps. `REWARDS` maps the CLI names to them;
 * `recordRewards` and `rewardChecks` pick the ones that fit a parsed record.
 */
export { answersMatch, type AnswerMarker, type ExtractedAnswer, extractAnswer, extractedAnswerSchema, finalAnswerLineStart } from './answer';
export { type RewardInput, rewardInputSchema, keyStepsJsonSchema } from './input';
export { applicableRewards, type RewardCheck, rewardCheckSchema, rewardChecks, recordRewards, scoredResponse } from './record';
export { formatRewardValue, type Reward, REWARDS, RewardInputError, type RewardName, rewardNameSchema } from './registry';
export { type RewardsReport, rewardsReportSchema, scoreDataset } from './report';
