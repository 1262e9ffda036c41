import { z } from 'zod';
import { questionImages, questionOf } from './exchange';
import { firstQuestionRatings, labelChoice, labelCounts, ratedResponses, stepLabel } from './steps';
import { isRefusal, type FormatExporter } from './types';

const trlStepwiseLineSchema = z
  .object({
    prompt: z.string(),
    completions: z.array(z.string()).min(1),
    labels: z.array(z.boolean()).min(1),
    images: z.array(z.string()).min(1).optional(),
  })
  .strict()
  .refine((line) => line.completions.length === line.labels.length, 'one label per completion');
type TrlStepwiseLine = z.infer<typeof trlStepwiseLineSchema>;

/**
 * TRL stepwise supervision: one line per response with rated steps (the rejected side of a pair too). The
 * prompt is the question as the record gives it, placeholders kept, with `images` when it has any. TRL's
 * stepwise prompt is a string (its PRM trainer tokenizes it as text, no chat template), so a conversation's
 * first reply is written and rated steps of a later reply are refused. Labels are the ratings unless the
 * export names other sources (pre-labels, Monte Carlo scores) for the steps without one.
 */
export const trlStepwise: FormatExporter<TrlStepwiseLine> = {
  schema: trlStepwiseLineSchema,
  build(input, options, exportImages) {
    const question = questionOf(input.parsed);
    if (isRefusal(question)) return question;
    const rated = firstQuestionRatings(
      ratedResponses(input, labelChoice(options, 'trl-stepwise')),
      "trl-stepwise's prompt is one string, with no place for earlier turns",
    );
    if (isRefusal(rated)) return rated;
    const images = exportImages.paths(questionImages(input.parsed));
    if (isRefusal(images)) return images;
    const lines = rated.map(({ steps }) => {
      const labels = steps.map((step) => stepLabel(step.rating, options.neutralLabel));
      const line: TrlStepwiseLine = { prompt: question, completions: steps.map((step) => step.text), labels };
      return images.length > 0 ? { ...line, images } : line;
    });
    return { lines, labels: labelCounts(rated.flatMap(({ steps }) => steps)) };
  },
};
