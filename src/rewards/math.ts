import { accuracyDiscrete } from './accuracy';
import { extractAnswer } from './answer';
import { normalizeAnswer } from './normalize';
import { type NumericAnswer, numberPairs } from './numbers';

/** Reason-RFT's tolerances: full credit within 5% of |gt|, none beyond 20% (methods.md §5). */
const FULL_CREDIT_TOLERANCE = 0.05;
const NO_CREDIT_TOLERANCE = 0.2;

/**
 * Reason-RFT math accuracy for one pair of numbers (methods.md §5), d = |pred - gt|, g = |gt|:
 * 1 if d < e1·g; 0 if d > e2·g; else 0.5·(1 + cos(π·(d - e1·g) / ((e2 - e1)·g))).
 * The original divides by zero at g = 0; here the band shrinks to a point: 1 if pred = 0, else 0.
 */
export function cosineTolerance(predicted: number, truth: number): number {
  const d = Math.abs(predicted - truth);
  const g = Math.abs(truth);
  if (g === 0) return d === 0 ? 1 : 0;
  if (d < FULL_CREDIT_TOLERANCE * g) return 1;
  if (d > NO_CREDIT_TOLERANCE * g) return 0;
  return 0.5 * (1 + Math.cos((Math.PI * (d - FULL_CREDIT_TOLERANCE * g)) / ((NO_CREDIT_TOLERANCE - FULL_CREDIT_TOLERANCE) * g)));
}

function readNumber(text: string): NumericAnswer | null {
  const answer = normalizeAnswer(extractAnswer(text).text);
  return answer.kind === 'number' ? answer.number : null;
}

/**
 * Reason-RFT math accuracy with cosine tolerance (methods.md §5) on the extracted answers. A percentage is tried
 * as written and as a fraction, keeping the better score. Non-numeric answers fall back to exact match (here
 * the discrete accuracy, which normalises first).
 */
export function mathCosineAccuracy(output: string, groundTruth: string): number {
  const predicted = readNumber(output);
  const truth = readNumber(groundTruth);
  if (!predicted || !truth) return accuracyDiscrete(output, groundTruth);
  return Math.max(...numberPairs(predicted, truth).map(([p, g]) => cosineTolerance(p, g)));
}
