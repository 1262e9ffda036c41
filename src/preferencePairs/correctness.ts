import { z } from 'zod';
import { seededRandom } from '../random';
import { answersMatch, type ExtractedAnswer, extractAnswer } from '../rewards/answer';
import { answerKey, normalizeAnswer } from '../rewards/normalize';

/** How one question's sampled responses divided, and what kept pairs from being made. */
export const correctnessCountsSchema = z.object({
  /** Distinct responses whose final answer matches the ground truth: the chosen pool. */
  correct: z.number().int().min(0),
  /** Distinct responses with a stated answer that does not match: rejected. */
  wrong: z.number().int().min(0),
  /** Distinct responses that never state an answer (see `statesAnswer`): rejected for their format. */
  formatNegatives: z.number().int().min(0),
  /** Responses sampled again word for word; each text is paired once. */
  duplicates: z.number().int().min(0),
  /** Responses with no text at all: nothing to learn from either side. */
  blank: z.number().int().min(0),
  /** Pairs not made because the chosen answer is part of the wrong one (`5` in `15`). */
  skippedByGuard: z.number().int().min(0),
  /** Pairs over the cap per question, left out. */
  capped: z.number().int().min(0),
});
export type CorrectnessCounts = z.infer<typeof correctnessCountsSchema>;

export interface SampledPair {
  chosen: string;
  rejected: string;
}

/**
 * Whether a response states its final answer, which MPO reads from a `Final answer:` line or a `\boxed{}`
 * (methods.md §2). The formats this product reads state it in more places, so an answer counts when a marker
 * delimits it: `\boxed{}`, an answer phrase, `<answer>`, `<CONCLUSION>` or `### The final answer is:`. Without
 * one, `extractAnswer` falls back to guesses: `none` (the whole text) and `last-section` (the first line of
 * whichever `###` section came last, as in a response cut off mid-steps). Those are unparseable, and so is an
 * empty answer; except that a single line without a marker is a bare answer, what "answer with a single word
 * or phrase" prompts ask for, and is judged as one.
 */
export function statesAnswer(response: string, answer: ExtractedAnswer): boolean {
  if (answer.text === '') return false;
  if (answer.marker === 'last-section') return false;
  return answer.marker !== 'none' || !response.trim().includes('\n');
}

/** `count` of the indices below `total`, picked by the seed, in ascending order. */
function pickIndices(total: number, count: number, seed: number): number[] {
  const random = seededRandom(seed);
  const indices = Array.from({ length: total }, (_, index) => index);
  // A partial Fisher–Yates shuffle: the first `count` places get a uniform sample.
  for (let place = 0; place < count; place++) {
    const other = place + Math.floor(random() * (total - place));
    [indices[place], indices[other]] = [indices[other], indices[place]];
  }
  return indices.slice(0, count).sort((a, b) => a - b);
}

/**
 * MPO's correctness pairs for one question: the sampled responses split into correct, wrong and format-negative
 * pools against the ground truth, each correct response paired with every rejected one (wrong, then format
 * negatives). A pair whose chosen answer is a substring of its rejected answer is skipped, since the answer
 * check may have called a right answer wrong; a format negative has no answer to compare, so it is always
 * paired. When more than `maxPairs` remain, the seed picks which, in the order they were made.
 */
export function correctnessPairs(
  groundTruth: string,
  responses: readonly string[],
  options: { maxPairs: number; seed: number },
): { pairs: SampledPair[]; counts: CorrectnessCounts } {
  const counts: CorrectnessCounts = { correct: 0, wrong: 0, formatNegatives: 0, duplicates: 0, blank: 0, skippedByGuard: 0, capped: 0 };
  const correct: Array<{ text: string; key: string }> = [];
  const wrong: Array<{ text: string; key: string }> = [];
  const formatNegatives: string[] = [];
  const seen = new Set<string>();
  for (const text of responses) {
    if (text.trim() === '') {
      counts.blank++;
      continue;
    }
    if (seen.has(text)) {
      counts.duplicates++;
      continue;
    }
    seen.add(text);
    const answer = extractAnswer(text);
    if (!statesAnswer(text, answer)) formatNegatives.push(text);
    else (answersMatch(text, groundTruth) ? correct : wrong).push({ text, key: answerKey(normalizeAnswer(answer.text)) });
  }
  counts.correct = correct.length;
  counts.wrong = wrong.length;
  counts.formatNegatives = formatNegatives.length;

  const candidates: SampledPair[] = [];
  for (const chosen of correct) {
    for (const rejected of wrong) {
      if (rejected.key.includes(chosen.key)) counts.skippedByGuard++;
      else candidates.push({ chosen: chosen.text, rejected: rejected.text });
    }
    for (const rejected of formatNegatives) candidates.push({ chosen: chosen.text, rejected });
  }
  if (candidates.length <= options.maxPairs) return { pairs: candidates, counts };
  counts.capped = candidates.length - options.maxPairs;
  return { pairs: pickIndices(candidates.length, options.maxPairs, options.seed).map((index) => candidates[index]), counts };
}
