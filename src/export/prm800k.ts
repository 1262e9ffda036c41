import { z } from 'zod';
import { questionOf } from './exchange';
import { firstQuestionRatings, labelChoice, labelCounts, ratedResponses, type RatedStep } from './steps';
import { isRefusal, type FormatExporter } from './types';

const ratingSchema = z.union([z.literal(-1), z.literal(0), z.literal(1)]);
const completionSchema = z.object({ text: z.string(), rating: ratingSchema, flagged: z.boolean().nullable() }).strict();
const stepSchema = z
  .object({
    completions: z.array(completionSchema).min(1),
    human_completion: z.string().nullable(),
    chosen_completion: z.number().int().min(0).nullable(),
  })
  .strict();
const prm800kLineSchema = z
  .object({
    question: z
      .object({
        problem: z.string(),
        ground_truth_answer: z.string().nullable(),
        pre_generated_steps: z.array(z.string()).optional(),
      })
      .strict(),
    label: z
      .object({
        steps: z.array(stepSchema).min(1),
        finish_reason: z.enum(['found_error', 'solution', 'bad_problem', 'give_up']),
        total_time: z.number().optional(),
      })
      .strict(),
  })
  .strict();
type Prm800kLine = z.infer<typeof prm800kLineSchema>;
type Prm800kStep = z.infer<typeof stepSchema>;

/**
 * A rated step as PRM800K labels it: the response's text is completion 0, rated alternatives follow with
 * their ratings (unrated ones cannot be written: PRM800K ratings are -1, 0 or 1). The trajectory goes on
 * through completion 0 unless the step is wrong, where labelling stops and no completion is chosen.
 */
function labelledStep(step: RatedStep): Prm800kStep {
  const alternatives = step.alternatives.flatMap((alternative) =>
    alternative.rating === null ? [] : [{ text: alternative.text, rating: alternative.rating, flagged: null }],
  );
  return {
    completions: [{ text: step.text, rating: step.rating, flagged: null }, ...alternatives],
    human_completion: null,
    chosen_completion: step.rating === -1 ? null : 0,
  };
}

/**
 * PRM800K: one line per response with rated steps, labelled up to the first wrong step (`found_error`) or to
 * the last rated step (`solution`). The problem keeps its `<image>` placeholders; PRM800K has no field for
 * the images themselves. `ground_truth_answer` is null when the record has no reference answer. A problem is one
 * question, so a conversation's first reply is written and rated steps of a later reply are refused. A step
 * labelled from a pre-label or a Monte Carlo score (when the export names those sources) is written with that
 * label as its rating.
 */
export const prm800k: FormatExporter<Prm800kLine> = {
  schema: prm800kLineSchema,
  build(input, options) {
    const problem = questionOf(input.parsed);
    if (isRefusal(problem)) return problem;
    const rated = firstQuestionRatings(ratedResponses(input, labelChoice(options, 'prm800k')), 'a PRM800K line holds one problem');
    if (isRefusal(rated)) return rated;
    const lines: Prm800kLine[] = [];
    const labelled: RatedStep[] = [];
    for (const { allSteps, steps } of rated) {
      const firstError = steps.findIndex((step) => step.rating === -1);
      const written = firstError < 0 ? steps : steps.slice(0, firstError + 1);
      labelled.push(...written);
      lines.push({
        question: { problem, ground_truth_answer: input.parsed.groundTruth, pre_generated_steps: allSteps },
        label: { steps: written.map(labelledStep), finish_reason: firstError < 0 ? 'solution' : 'found_error' },
      });
    }
    return { lines, labels: labelCounts(labelled) };
  },
};
