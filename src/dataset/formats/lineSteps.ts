import type { Segment } from '../record';
import { allMatches } from './matches';
import { sliceSegment, type TextRef } from './segment';

const NON_BLANK_LINE = /[^\r\n]*\S[^\r\n]*/g;
const FINAL_ANSWER = /^\s*Final answer:[ \t]*/i;

/**
 * MMPR responses have no markup: one reasoning step per line, the answer on a `Final answer: ..` line
 * (the line MMPR extracts answers from). Each non-blank line is a step (`Step 1`..); a final-answer line
 * is a `Final answer` section holding the text after the colon, as Mulberry's final-answer section does.
 */
export function lineSegments(ref: TextRef): Segment[] {
  let step = 0;
  return allMatches(ref.text, NON_BLANK_LINE).map((match) => {
    const start = match.index;
    const end = start + match[0].length;
    const finalAnswer = FINAL_ANSWER.exec(match[0]);
    if (finalAnswer) return sliceSegment(ref, 'section', 'Final answer', start + finalAnswer[0].length, end);
    step += 1;
    return sliceSegment(ref, 'step', `Step ${step}`, start, end);
  });
}
