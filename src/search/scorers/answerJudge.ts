import { askForVerdict } from './ask';
import type { JudgeTemplates } from './templates';
import type { Ranking, Scorer, ScoringContext, SegmentCandidate } from './types';
import { byScore } from './types';

/** yes / no, read strictly: exactly one of the two words. */
export function parseYesNo(text: string): boolean | undefined {
  const words = new Set([...text.toLowerCase().matchAll(/\b(yes|no)\b/g)].map((match) => match[1]));
  return words.size === 1 ? words.has('yes') : undefined;
}

/** Asks whether a response reaches the record's ground truth (yes / no); asks once more if the reply says neither. */
export function judgeAnswer(
  templates: JudgeTemplates,
  context: ScoringContext,
  reference: string,
  response: string,
): Promise<{ verdict: boolean | undefined; calls: number }> {
  const prompt = templates.render('answer', { question: context.record.question ?? '', reference, response });
  return askForVerdict(context, prompt, parseYesNo, { seed: context.seed, maxTokens: 8 });
}

/** Asks whether each candidate (with the response before it) reaches the record's ground truth: 1 or 0. */
export class AnswerJudge implements Scorer {
  readonly name = 'answer-judge';

  constructor(private readonly templates: JudgeTemplates) {}

  async rank(candidates: readonly SegmentCandidate[], context: ScoringContext): Promise<Ranking> {
    const reference = context.record.groundTruth;
    if (reference === null) throw new Error('the final-answer judge needs a ground truth, and this record has none');
    const scores: Array<number | undefined> = [];
    const notes: string[] = [];
    let judgeCalls = 0;
    for (const [index, entry] of candidates.entries()) {
      const { verdict, calls } = await judgeAnswer(this.templates, context, reference, context.prefix + entry.text);
      judgeCalls += calls;
      if (verdict === undefined) notes.push(`no yes/no verdict for candidate ${index + 1} after a retry`);
      scores.push(verdict === undefined ? undefined : verdict ? 1 : 0);
    }
    return { order: byScore(scores), scores, judgeCalls, notes };
  }
}
