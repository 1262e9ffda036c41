import { z } from 'zod';
import { seedSchema } from '../random';

/**
 * How MPO's pairs are made (methods.md §2), wherever they are asked for (the editor command, the command line).
 * MPO samples 32 responses at temperature 0.7 and keeps at most 15 pairs per question; 8 samples keep an
 * editor run short, and `samples` brings back the paper's figure.
 */
export const pairSettingsSchema = z.object({
  /** Responses sampled per question with a ground truth, decoded as one batch. */
  samples: z.number().int().min(2).max(64).default(8),
  /** Pairs kept per question; when there are more, the seed picks which. */
  maxPairs: z.number().int().min(1).max(256).default(15),
  temperature: z.number().min(0).max(2).default(0.7),
  /** Per sampled response or continuation; a response cut here usually lacks its final answer. */
  maxTokens: z.number().int().min(1).max(8192).default(1024),
  /** One seed makes the same samples and the same pick of pairs; drawn at random when left out. */
  seed: seedSchema.optional(),
  /** Records without a ground truth get a pair too: their response against its first half continued without the image. */
  withoutImage: z.boolean().default(false),
});
export type PairSettings = z.infer<typeof pairSettingsSchema>;
