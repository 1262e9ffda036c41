import { z } from 'zod';

/**
 * VisualPRM's two layouts, written here from OpenGVLab/InternVL at 2410d1db (MIT) and the VisualPRM400K-v1.1-Raw
 * card, apart from the product's own schemas: the raw lines of `visualprm_data_pieline.py`, and the training
 * conversation of `item2conv_prm` (`visualprm_data_pipeline_postprocess.py`).
 */
export const visualPrmRaw = z
  .object({
    image: z.union([z.string(), z.array(z.string())]),
    question: z.string(),
    answer: z.string(),
    response: z.string(),
    steps_with_score: z.array(z.object({ step: z.string(), score: z.number(), num_mc_correct: z.number().int(), num_mc_total: z.number().int() }).strict()),
    num_mc_sequences: z.number().int(),
  })
  .strict();

export const visualPrmConversation = z
  .object({
    id: z.literal(-1),
    image: z.union([z.string(), z.array(z.string())]).optional(),
    conversations: z.tuple(
      [z.object({ from: z.literal('system'), value: z.string() }).strict()],
      z.union([z.object({ from: z.literal('human'), value: z.string() }).strict(), z.object({ from: z.literal('gpt'), value: z.enum(['+', '-']) }).strict()]),
    ),
  })
  .strict();
