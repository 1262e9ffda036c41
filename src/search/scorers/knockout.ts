import { seededRandom } from '../../random';
import type { Rating } from '../../dataset/annotations';
import type { Segment } from '../../dataset/record';
import { type JudgeTemplates, pairwiseTemplate } from './templates';
import type { Ranking, Scorer, ScoringContext, SegmentCandidate } from './types';
import { judgeStep } from './stepJudge';
import { askForVerdict } from './ask';
import { meanLogprob } from './logprob';

/** LLaVA-CoT's verdict form; exactly one choice must be stated, or the verdict does not count. */
export function parseVerdict(text: string): 1 | 2 | undefined {
  const choices = [...text.matchAll(/I choose response \[?([12])\]?/gi)].map((match) => Number(match[1]) as 1 | 2);
  const distinct = new Set(choices);
  return distinct.size === 1 ? choices[0] : undefined;
}

/** The caption the reasoning judge is given as a hint: the record's CAPTION stage, when it has one. */
function captionOf(context: ScoringContext): string {
  const caption = context.record.responses[0]?.segments.find((segment: Segment) => segment.kind === 'stage' && segment.label === 'CAPTION');
  return caption?.text.trim() ?? '';
}

/**
 * LLaVA-CoT's knockout: pop two random candidates, ask the judge which is better, push the winner back;
 * N-1 calls. The candidates are shown in random order (judges favour a position). An unparseable verdict
 * is asked again with another seed, then settled by the higher mean token log-probability, and recorded.
 * Before REASONING is judged, each candidate gets a correct/incorrect check and an incorrect one is out
 * without a pairwise call (unless all are incorrect).
 */
export class KnockoutJudge implements Scorer {
  readonly name = 'knockout-judge';

  constructor(private readonly templates: JudgeTemplates) {}

  async rank(candidates: readonly SegmentCandidate[], context: ScoringContext): Promise<Ranking> {
    const random = seededRandom(context.seed ^ 0x9e3779b9);
    const notes: string[] = [];
    let judgeCalls = 0;
    const wins = candidates.map(() => 0);
    /** Round in which each candidate lost; later is better. Screened-out candidates lose in round -1. */
    const lostIn = candidates.map(() => Number.POSITIVE_INFINITY);
    let pool = candidates.map((_, index) => index);

    if (context.segment.kind === 'stage' && context.segment.label === 'REASONING' && pool.length > 1) {
      const verdicts: Array<Rating | undefined> = [];
      for (const index of pool) {
        const verdict = await judgeStep(this.templates, context, (candidates[index] as SegmentCandidate).text);
        judgeCalls += verdict.calls;
        verdicts.push(verdict.rating);
      }
      const survivors = pool.filter((_, i) => verdicts[i] !== -1);
      if (survivors.length > 0 && survivors.length < pool.length) {
        for (const index of pool) if (!survivors.includes(index)) lostIn[index] = -1;
        notes.push(`reasoning check: ${pool.length - survivors.length} of ${pool.length} candidates judged incorrect before the knockout`);
        pool = survivors;
      }
    }

    const template = pairwiseTemplate(context.segment.kind, context.segment.label);
    let round = 0;
    while (pool.length > 1) {
      if (context.signal?.aborted) break;
      const a = pool.splice(Math.floor(random() * pool.length), 1)[0] as number;
      const b = pool.splice(Math.floor(random() * pool.length), 1)[0] as number;
      const [first, second] = random() < 0.5 ? [a, b] : [b, a];
      const values = {
        question: context.record.question ?? '',
        prefix: context.prefix,
        caption: captionOf(context),
        first: (candidates[first] as SegmentCandidate).text,
        second: (candidates[second] as SegmentCandidate).text,
      };
      const { verdict, calls } = await askForVerdict(context, this.templates.render(template, values), parseVerdict, {
        seed: context.seed + 1000 * round,
        maxTokens: 160,
      });
      judgeCalls += calls;
      let winner = verdict === undefined ? undefined : verdict === 1 ? first : second;
      if (winner === undefined) {
        winner = meanLogprob(candidates[a] as SegmentCandidate) >= meanLogprob(candidates[b] as SegmentCandidate) ? a : b;
        notes.push(`no verdict for candidates ${a + 1} and ${b + 1} after a retry; the higher mean log-probability (${winner + 1}) went on`);
      }
      const loser = winner === a ? b : a;
      wins[winner] = (wins[winner] as number) + 1;
      lostIn[loser] = round++;
      pool.push(winner);
    }
    const order = candidates
      .map((_, index) => index)
      .sort((x, y) => (lostIn[y] as number) - (lostIn[x] as number) || (wins[y] as number) - (wins[x] as number) || x - y);
    return { order, scores: wins, judgeCalls, notes };
  }
}
