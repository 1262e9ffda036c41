import { answersMatch } from './answer';

/** What OpenVLThinker takes off a correct answer with no text between `</think>` and `<answer>` (methods.md §6). */
const EMPTY_GAP_PENALTY = 0.5;

/** Whether nothing but whitespace stands after the last `</think>` before the next `<answer>`, as its code splits it. */
function emptyGap(output: string): boolean {
  if (!output.includes('</think>') || !output.includes('<answer>')) return false;
  const afterThink = output.slice(output.lastIndexOf('</think>') + '</think>'.length);
  const answer = afterThink.indexOf('<answer>');
  return (answer >= 0 ? afterThink.slice(0, answer) : afterThink).trim() === '';
}

/**
 * OpenVLThinker's reward (methods.md §6; `accuracy_reward` of its EasyR1 reward function): 1 for a correct answer,
 * 1 - 0.5 when nothing stands between `</think>` and `<answer>`, 0 for a wrong one (the code applies the penalty
 * to correct answers only, so the value is never negative).
 */
export function openVlThinkerReward(output: string, groundTruth: string): number {
  if (!answersMatch(output, groundTruth)) return 0;
  return emptyGap(output) ? 1 - EMPTY_GAP_PENALTY : 1;
}
