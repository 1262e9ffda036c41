import { Template } from '@huggingface/jinja';
import { z } from 'zod';
import type { Prompt } from '../../protocol';
import type { Ranking, Scorer, ScoringContext, SegmentCandidate } from './types';
import { byScore } from './types';

/** Log-probabilities of single tokens coming next after a prompt and its images, from the reward model. */
export type NextTokenLogprobs = (prompt: Prompt, tokens: string[], images: readonly string[]) => Promise<number[]>;

/**
 * How a causal-LM process reward model reads a step: Math-Shepherd puts a step tag after each step and
 * reads P(good) against P(bad) as the next token there. The template (Jinja) is a setting because every
 * PRM has its own tag and tokens.
 */
export const rewardModelFormatSchema = z.object({
  template: z.string().min(1).default('{{ question }} {{ prefix }}{{ step }} ки'),
  goodToken: z.string().min(1).default('+'),
  badToken: z.string().min(1).default('-'),
});
export type RewardModelFormat = z.infer<typeof rewardModelFormatSchema>;

/** Scores each candidate step P(good) / (P(good) + P(bad)) with a process reward model: one model call per candidate. */
export class RewardModelScorer implements Scorer {
  readonly name: string;
  private readonly template: Template;

  constructor(
    model: string,
    private readonly nextToken: NextTokenLogprobs,
    private readonly format: RewardModelFormat,
  ) {
    this.name = `reward-model:${model}`;
    this.template = new Template(format.template);
  }

  /** The PRM's score of a step after the context's prefix: P(good) / (P(good) + P(bad)), in [0, 1]. */
  async stepScore(step: string, context: ScoringContext): Promise<number> {
    const text = this.template.render({ question: context.record.question ?? '', prefix: context.prefix, step });
    // A vision-language PRM reads the images before the text; a text PRM, the text alone.
    const [good, bad] = (await this.nextToken({ text }, [this.format.goodToken, this.format.badToken], context.record.images)) as [number, number];
    // A two-way softmax of the two log-probabilities.
    return 1 / (1 + Math.exp(bad - good));
  }

  async rank(candidates: readonly SegmentCandidate[], context: ScoringContext): Promise<Ranking> {
    const scores: number[] = [];
    for (const entry of candidates) scores.push(await this.stepScore(entry.text, context));
    return { order: byScore(scores), scores, judgeCalls: 0, notes: [] };
  }
}
