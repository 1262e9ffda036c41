import { z } from 'zod';
import { structureOf } from '../dataset/formats';
import type { Structure } from '../dataset/formats/structure';
import type { ParsedRecord, Response } from '../dataset/record';
import { extractAnswer } from './answer';
import { functionItemCount } from './functions';
import type { RewardInput, RewardNeed } from './input';
import { normalizeAnswer } from './normalize';
import { formatRewardValue, REWARDS, type RewardName, rewardNameSchema } from './registry';

/** The response a record's rewards score: its only one, or the chosen side of a preference pair. */
export function scoredResponse(parsed: ParsedRecord): Response | null {
  return parsed.responses[0] ?? null;
}

/** The rewards each response markup calls for; those needing what the record lacks are dropped. */
const STRUCTURE_REWARDS: Record<Structure, RewardName[]> = {
  'think-answer': ['format-think-answer', 'openvlthinker'],
  stages: ['stage-completeness'],
  sections: ['step-validity', 'step-accuracy'],
};

/**
 * The rewards that fit a response, by the markup its format reads it with and what the record provides: the
 * think/answer format reward and OpenVLThinker's for `<think>`/`<answer>`, stage completeness for LLaVA-CoT
 * stages, StepRVR for Mulberry sections (StepRAR when the record has key steps); with a ground truth, discrete
 * accuracy always, the cosine tolerance when it is a number, function-list credit when it lists `func(obj, value)`.
 */
export function applicableRewards(parsed: ParsedRecord, response: Response): RewardName[] {
  const truth = parsed.groundTruth;
  const structure = structureOf(parsed.format, response.text);
  const candidates = structure === null ? [] : [...STRUCTURE_REWARDS[structure]];
  if (truth !== null) {
    candidates.push('accuracy-discrete');
    if (normalizeAnswer(extractAnswer(truth).text).kind === 'number') candidates.push('accuracy-math-cosine');
    if (functionItemCount(truth) > 0) candidates.push('accuracy-function');
  }
  const has: Record<RewardNeed, boolean> = { groundTruth: truth !== null, keySteps: (parsed.keySteps?.length ?? 0) > 0 };
  return rewardNameSchema.options.filter((name) => candidates.includes(name) && REWARDS[name].needs.every((need) => has[need]));
}

/**
 * Every applicable reward of a record's scored response, in registry order; null when the record has no
 * response. `needing` keeps only the rewards that read that input (the checks score only those, per record).
 */
export function recordRewards(parsed: ParsedRecord, needing?: RewardNeed): Partial<Record<RewardName, number>> | null {
  const response = scoredResponse(parsed);
  if (!response) return null;
  const input: RewardInput = { output: response.text, groundTruth: parsed.groundTruth, keySteps: parsed.keySteps };
  const names = applicableRewards(parsed, response).filter((name) => needing === undefined || REWARDS[name].needs.includes(needing));
  return Object.fromEntries(names.map((name) => [name, REWARDS[name].score(input)]));
}

export const rewardCheckSchema = z.object({
  reward: rewardNameSchema,
  value: z.number(),
  /** `accuracy-discrete is 0 (passing: 1): the final answer does not match the ground truth; answer "7", ground truth "9"`. */
  message: z.string(),
});
export type RewardCheck = z.infer<typeof rewardCheckSchema>;

const QUOTE_LIMIT = 60;
const quote = (text: string) => `"${text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text}"`;

/**
 * The rewards of a parsed record that score below their threshold, for the dataset checks to show (one finding
 * each). It scores the response `scoredResponse` picks with `applicableRewards`, so the ground-truth rewards
 * appear only for records with a ground truth; a record without a response has none. The format rewards
 * restate what the grammar checks (think-answer-form, stage-grammar, section-grammar) already find, in the
 * terms training uses; a caller that shows both may keep only the accuracy ones.
 */
export function rewardChecks(parsed: ParsedRecord, needing?: RewardNeed): RewardCheck[] {
  const rewards = recordRewards(parsed, needing);
  if (!rewards) return [];
  const output = scoredResponse(parsed)?.text ?? '';
  return rewardNameSchema.options.flatMap((name) => {
    const value = rewards[name];
    const reward = REWARDS[name];
    if (value === undefined || value >= reward.threshold) return [];
    const answers = reward.needs.includes('groundTruth')
      ? `; answer ${quote(extractAnswer(output).text)}, ground truth ${quote(parsed.groundTruth ?? '')}`
      : '';
    return [{ reward: name, value, message: `${name} is ${formatRewardValue(value)} (passing: ${reward.threshold}): ${reward.failure}${answers}` }];
  });
}
