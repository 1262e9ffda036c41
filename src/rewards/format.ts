/**
 * Reason-RFT's format pattern (methods.md §5), as its code applies it: `re.fullmatch` with DOTALL, so the
 * whole output must match (no whitespace before `<think>` or after `</answer>`), and `.*?` may stretch over
 * extra tags.
 */
const THINK_ANSWER = /^<think>.*?<\/think>\s*<answer>.*?<\/answer>$/s;

/** Reason-RFT format reward: 1 iff the whole output is `<think>…</think>`, optional whitespace, `<answer>…</answer>`. */
export function formatThinkAnswer(output: string): number {
  return THINK_ANSWER.test(output) ? 1 : 0;
}
