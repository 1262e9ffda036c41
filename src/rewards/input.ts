import { z } from 'zod';

/** R1-VL key steps as a parsed record holds them: each step a list of acceptable alternatives. */
export const keyStepsSchema = z.array(z.array(z.string()));

const keyStepListSchema = z
  .array(z.union([z.string(), z.array(z.string()).min(1)]))
  .transform((steps) => steps.map((step) => (Array.isArray(step) ? step : [step])));

/** R1-VL's `key_steps` as written (`{"Steps": [...]}`, or the list alone), each step a string or its alternatives. */
export const keyStepsJsonSchema = z.union([z.object({ Steps: keyStepListSchema }).transform(({ Steps }) => Steps), keyStepListSchema]);

/** What a reward reads: the output alone. */
export const outputInputSchema = z.object({ output: z.string() });
/** The output and the record's reference answer. */
export const groundTruthInputSchema = outputInputSchema.extend({ groundTruth: z.string() });
/** The output, the reference answer and R1-VL key steps. */
export const keyStepsInputSchema = groundTruthInputSchema.extend({ keySteps: keyStepsSchema });

/** Anything a reward may be given; each reward validates the part it reads. */
export const rewardInputSchema = outputInputSchema.extend({
  groundTruth: z.string().nullable().optional(),
  keySteps: keyStepsSchema.nullable().optional(),
});
export type RewardInput = z.infer<typeof rewardInputSchema>;

/** The inputs beyond the output that a reward can need. */
export const rewardNeedSchema = z.enum(['groundTruth', 'keySteps']);
export type RewardNeed = z.infer<typeof rewardNeedSchema>;
