import { answersMatch } from './answer';

/**
 * Reason-RFT discrete accuracy (counting, multiple choice; methods.md §5): 1 when the extracted answer equals the
 * ground truth, else 0. "Equals" is after MPO's normalisation (methods.md §2) rather than byte equality, so
 * `<answer> (B) </answer>` is right for `B` and `12 cm` for `12`.
 */
export function accuracyDiscrete(output: string, groundTruth: string): number {
  return answersMatch(output, groundTruth) ? 1 : 0;
}
