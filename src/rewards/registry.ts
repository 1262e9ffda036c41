import { z } from 'zod';
import { accuracyDiscrete } from './accuracy';
import { formatThinkAnswer } from './format';
import { functionListCredit } from './functions';
import { groundTruthInputSchema, keyStepsInputSchema, outputInputSchema, type RewardInput, type RewardNeed, rewardNeedSchema } from './input';
import { mathCosineAccuracy } from './math';
import { openVlThinkerReward } from './openvlthinker';
import { stageCompleteness } from './stages';
import { stepAccuracy, stepValidity } from './steps';

/** The rewards by the name the CLI takes. */
export const rewardNameSchema = z.enum([
  'format-think-answer',
  'accuracy-discrete',
  'accuracy-math-cosine',
  'accuracy-function',
  'step-validity',
  'step-accuracy',
  'openvlthinker',
  'stage-completeness',
]);
export type RewardName = z.infer<typeof rewardNameSchema>;

/** An input a reward cannot score: the message names the missing or malformed field. */
export class RewardInputError extends Error {}

export interface Reward {
  /** The inputs it reads besides the output. */
  needs: RewardNeed[];
  /** The lowest passing value; `rewardChecks` reports values below it. */
  threshold: number;
  /** What a value below the threshold says about the output. */
  failure: string;
  /** Validates the input against the reward's schema, then applies the formula (a pure function). */
  score(input: RewardInput): number;
}

function defineReward<S extends z.ZodObject>(schema: S, formula: (input: z.infer<S>) => number, about: Pick<Reward, 'threshold' | 'failure'>): Reward {
  return {
    ...about,
    needs: rewardNeedSchema.options.filter((need) => need in schema.shape),
    score(input) {
      const parsed = schema.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new RewardInputError(`${issue.path.map(String).join('.') || 'input'}: ${issue.message}`);
      }
      return formula(parsed.data);
    },
  };
}

export const REWARDS: Record<RewardName, Reward> = {
  // Reason-RFT (arXiv 2503.20752) format reward; methods.md §5
  'format-think-answer': defineReward(outputInputSchema, ({ output }) => formatThinkAnswer(output), {
    threshold: 1,
    failure: 'the output is not <think>…</think> then <answer>…</answer> and nothing else',
  }),
  // Reason-RFT (arXiv 2503.20752) discrete accuracy, answers read as MPO does; methods.md §5 and §2
  'accuracy-discrete': defineReward(groundTruthInputSchema, ({ output, groundTruth }) => accuracyDiscrete(output, groundTruth), {
    threshold: 1,
    failure: 'the final answer does not match the ground truth',
  }),
  // Reason-RFT (arXiv 2503.20752) math accuracy with cosine tolerance; methods.md §5
  'accuracy-math-cosine': defineReward(groundTruthInputSchema, ({ output, groundTruth }) => mathCosineAccuracy(output, groundTruth), {
    threshold: 1,
    failure: 'the numeric answer is 5% or more off the ground truth',
  }),
  // Reason-RFT (arXiv 2503.20752) function-list partial credit; methods.md §5
  'accuracy-function': defineReward(groundTruthInputSchema, ({ output, groundTruth }) => functionListCredit(output, groundTruth), {
    threshold: 1,
    failure: 'the func(obj, value) list differs from the ground truth',
  }),
  // R1-VL (arXiv 2503.12937) StepRVR; methods.md §4
  'step-validity': defineReward(outputInputSchema, ({ output }) => stepValidity(output), {
    threshold: 1,
    failure: 'a required ### section is missing, the final answer is not last, or steps are not numbered 1..n',
  }),
  // R1-VL (arXiv 2503.12937) StepRAR; methods.md §4
  'step-accuracy': defineReward(keyStepsInputSchema, ({ output, groundTruth, keySteps }) => stepAccuracy(output, groundTruth, keySteps), {
    threshold: 1,
    failure: 'the final answer does not match the ground truth',
  }),
  // OpenVLThinker (arXiv 2503.17352) correctness reward; methods.md §6
  openvlthinker: defineReward(groundTruthInputSchema, ({ output, groundTruth }) => openVlThinkerReward(output, groundTruth), {
    threshold: 1,
    failure: 'the answer is wrong, or nothing stands between </think> and <answer>',
  }),
  // LLaVA-CoT (arXiv 2411.10440) stage order; methods.md §1
  'stage-completeness': defineReward(outputInputSchema, ({ output }) => stageCompleteness(output), {
    threshold: 1,
    failure: 'a stage is missing, unclosed, repeated, empty or out of order',
  }),
};

/** A reward value for people: at most four decimals (`0.75`, `1.0333`). */
export function formatRewardValue(value: number): string {
  return String(Number(value.toFixed(4)));
}
