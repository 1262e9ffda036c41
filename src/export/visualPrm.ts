/**
 * VisualPRM400K, as InternVL's pipeline writes it (OpenGVLab/InternVL at 2410d1dbf208f0e799459aff9376e5747dbf41a2):
 * internvl_chat/tools/reasoning_data_pipeline/visualprm_data_pieline.py writes the raw form, the prompt item
 * (`image`, `question`, `answer`) with `response`, `steps_with_score` items `{step, score, num_mc_correct,
 * num_mc_total}` (score = correct / total) and `num_mc_sequences`, as the VisualPRM400K-v1.1-Raw dataset card lists
 * them; visualprm_data_pipeline_postprocess.py (`item2conv_prm`) turns it into the training conversation
 * `{id: -1, image, conversations}`: a system turn, then each step as a human turn (the first after
 * `### Question:\n…\n\n### Solution Process:\n`) answered by a gpt turn `+` when the step's score is above
 * `--mc-threshold` (default 0) and `-` otherwise. Neither form has a field for the kind of a first error.
 */
import { z } from 'zod';
import { IMAGE_TOKEN } from '../dataset/formats/chat';
import { questionImages, questionWithImageTokens } from './exchange';
import { type ExportImages, internVlImage, internVlImageSchema } from './images';
import { firstQuestionRatings, labelChoice, labelCounts, ratedResponses, scoredResponses, stepLabel } from './steps';
import { type ExportInput, isRefusal, type FormatExporter, type Refusal } from './types';

const stepWithScoreSchema = z
  .object({
    step: z.string(),
    score: z.number().min(0).max(1),
    num_mc_correct: z.number().int().min(0),
    // An early-stopped rollout gives the steps after a score of 0 no rollouts: 0 of 0.
    num_mc_total: z.number().int().min(0),
  })
  .strict()
  .refine((step) => step.num_mc_correct <= step.num_mc_total, 'num_mc_correct is at most num_mc_total');

const visualPrmLineSchema = z
  .object({
    image: internVlImageSchema,
    question: z.string(),
    answer: z.string(),
    response: z.string(),
    steps_with_score: z.array(stepWithScoreSchema).min(1),
    num_mc_sequences: z.number().int().min(0),
  })
  .strict()
  .refine((line) => line.response === line.steps_with_score.map((step) => step.step).join('\n\n'), 'response is the steps joined by blank lines');
type VisualPrmLine = z.infer<typeof visualPrmLineSchema>;

const systemTurnSchema = z.object({ from: z.literal('system'), value: z.string() }).strict();
const stepTurnSchema = z.object({ from: z.literal('human'), value: z.string() }).strict();
const labelTurnSchema = z.object({ from: z.literal('gpt'), value: z.enum(['+', '-']) }).strict();

const visualPrmConversationLineSchema = z
  .object({
    id: z.number().int(),
    image: internVlImageSchema.optional(),
    conversations: z.tuple([systemTurnSchema], z.union([stepTurnSchema, labelTurnSchema])),
  })
  .strict()
  .refine(
    ({ conversations: [, ...turns] }) => turns.length >= 2 && turns.every((turn, index) => turn.from === (index % 2 === 0 ? 'human' : 'gpt')),
    'after the system turn, each step as a human turn and its label as a gpt turn',
  );
type VisualPrmConversationLine = z.infer<typeof visualPrmConversationLineSchema>;

/**
 * The system turn of the conversation form, in CoT Studio's words: what InternVL's PRM_SYSTEM_PROMPT asks (the
 * problem and first step, then a step per turn, each answered `+` or `-` alone).
 */
const VISUALPRM_SYSTEM_PROMPT =
  'You are a process reward model. The first message gives a problem and the first step of a solution to it; each later message gives the next step. ' +
  'After each step, reply "+" if the solution is correct up to and including that step, or "-" if it has gone wrong. Reply with "+" or "-" only.';

/** What both forms write of the question: its text, placeholders counted against its images, and the image paths. */
function visualPrmQuestion(input: ExportInput, exportImages: ExportImages): { question: string; images: string[] } | Refusal {
  // InternVL's pipeline puts `<image>\n` in front of a question that places no image itself.
  const question = questionWithImageTokens(input.parsed, `${IMAGE_TOKEN}\n`);
  if (isRefusal(question)) return question;
  const images = exportImages.paths(questionImages(input.parsed));
  return isRefusal(images) ? images : { question, images };
}

/**
 * The raw form: one line per reply of the first question whose steps all have a Monte Carlo score with its
 * rollout counts (stored by mc-score, or the record's own); a reply with some steps unscored is refused, since
 * `steps_with_score` covers the whole response. `response` is the steps joined by blank lines, as the pipeline
 * splits it. The pipeline rolls out from the image and checks against `answer`, so both are required.
 */
export const visualPrm: FormatExporter<VisualPrmLine> = {
  schema: visualPrmLineSchema,
  build(input, _options, exportImages) {
    const scored = firstQuestionRatings(scoredResponses(input), 'a VisualPRM line holds one question', 'scored steps');
    if (isRefusal(scored)) return scored;
    const answer = input.parsed.groundTruth;
    if (answer === null) return { refusal: 'a VisualPRM line holds the ground truth its rollouts are checked against (`answer`), and the record has none' };
    const asked = visualPrmQuestion(input, exportImages);
    if (isRefusal(asked)) return asked;
    if (asked.images.length === 0) return { refusal: "a VisualPRM line names the image its rollouts see (`image`), and the record's question has none" };
    return scored.map(({ steps }) => ({
      image: internVlImage(asked.images),
      question: asked.question,
      answer,
      response: steps.map((step) => step.text).join('\n\n'),
      steps_with_score: steps.map(({ text, score, correct, total }) => ({ step: text, score, num_mc_correct: correct, num_mc_total: total })),
      num_mc_sequences: Math.max(...steps.map((step) => step.total)),
    }));
  },
};

/**
 * The conversation form: one line per reply of the first question with labelled steps, each step a human turn
 * answered `+` or `-`. Labels come from the Monte Carlo score above the threshold, as VisualPRM's do, and, for a
 * step without a score, from its rating (a neutral one as `neutralLabel` says), unless the export names other
 * sources; the steps end at the first one none of them labels. `id` is -1 and a text-only question has no
 * `image`, as InternVL's tools write them.
 */
export const visualPrmConversation: FormatExporter<VisualPrmConversationLine> = {
  schema: visualPrmConversationLineSchema,
  build(input, options, exportImages) {
    const rated = firstQuestionRatings(ratedResponses(input, labelChoice(options, 'visualprm-conversation')), 'a VisualPRM conversation holds one question');
    if (isRefusal(rated)) return rated;
    const asked = visualPrmQuestion(input, exportImages);
    if (isRefusal(asked)) return asked;
    const lines = rated.map(({ steps }): VisualPrmConversationLine => {
      const turns = steps.flatMap(({ text, rating }, index) => [
        { from: 'human' as const, value: index === 0 ? `### Question:\n${asked.question}\n\n### Solution Process:\n${text}` : text },
        { from: 'gpt' as const, value: stepLabel(rating, options.neutralLabel) ? ('+' as const) : ('-' as const) },
      ]);
      const conversations: VisualPrmConversationLine['conversations'] = [{ from: 'system', value: VISUALPRM_SYSTEM_PROMPT }, ...turns];
      return asked.images.length === 0 ? { id: -1, conversations } : { id: -1, image: internVlImage(asked.images), conversations };
    });
    return { lines, labels: labelCounts(rated.flatMap(({ steps }) => steps)) };
  },
};
