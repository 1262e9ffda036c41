import type { Rating } from '../../dataset/annotations';
import { askForVerdict } from './ask';
import type { JudgeTemplates } from './templates';
import type { Ranking, Scorer, ScoringContext, SegmentCandidate } from './types';
import { byScore } from './types';

/** The first of correct / neutral / incorrect the reply says; undefined when it says none or several. */
export function parseStepVerdict(text: string): Rating | undefined {
  const words = new Set([...text.toLowerCase().matchAll(/\b(correct|neutral|incorrect)\b/g)].map((match) => match[1]));
  if (words.size !== 1) return undefined;
  const [word] = words;
  return word === 'correct' ? 1 : word === 'neutral' ? 0 : -1;
}

/**
 * Asks whether a step is correct, neutral or incorrect (PRM800K's labels); asks once more if the reply says neither.
 * `confidence` is the judge's probability of the reply that gave the verdict, where the backend gives one.
 */
export async function judgeStep(
  templates: JudgeTemplates,
  context: ScoringContext,
  step: string,
): Promise<{ rating: Rating | undefined; calls: number; confidence?: number }> {
  const prompt = templates.render('step', { question: context.record.question ?? '', prefix: context.prefix, step });
  const { verdict, calls, probability } = await askForVerdict(context, prompt, parseStepVerdict, { seed: context.seed, maxTokens: 16 });
  return { rating: verdict, calls, ...(probability === undefined ? {} : { confidence: probability }) };
}

/** Scores each candidate +1 / 0 / -1 by the per-step judge; a candidate without a verdict scores below -1. */
export class StepJudge implements Scorer {
  readonly name = 'step-judge';

  constructor(private readonly templates: JudgeTemplates) {}

  async rank(candidates: readonly SegmentCandidate[], context: ScoringContext): Promise<Ranking> {
    const scores: Array<number | undefined> = [];
    const notes: string[] = [];
    let judgeCalls = 0;
    for (const [index, entry] of candidates.entries()) {
      const { rating, calls } = await judgeStep(this.templates, context, entry.text);
      judgeCalls += calls;
      if (rating === undefined || rating === null) notes.push(`no step verdict for candidate ${index + 1} after a retry`);
      scores.push(rating ?? undefined);
    }
    return { order: byScore(scores), scores, judgeCalls, notes };
  }
}
