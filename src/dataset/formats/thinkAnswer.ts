import type { Segment } from '../record';
import { sliceSegment, type TextRef } from './segment';
import { type Tag, tagScanner, tagSegments } from './tags';
import { flatMapped } from '../flatMapped';

const thinkAnswerScanner = tagScanner(['think', 'answer']);

export function hasThinkAnswer(text: string): boolean {
  return thinkAnswerScanner.opens(text);
}

/** The text between a `</think>` and the `<answer>` right after it, without the spaces around it; null when blank. */
function summarySegment(ref: TextRef, close: Tag, next: Tag | undefined): Segment | null {
  if (!close.closing || close.name !== 'think' || next === undefined || next.closing || next.name !== 'answer') return null;
  const gap = ref.text.slice(close.end, next.start);
  const body = gap.trim();
  if (body === '') return null;
  const start = close.end + gap.indexOf(body);
  return sliceSegment(ref, 'summary', 'summary', start, start + body.length);
}

/**
 * `think`, `summary` and `answer` segments, in the order they stand. The summary is what stands between
 * `</think>` and `<answer>`: OpenVLThinker's reward wants it there (a correct answer without one loses 0.5),
 * so it is a part to read and edit like the others. A response without one has think and answer only, at the
 * indices they always had.
 */
export function thinkAnswerSegments(ref: TextRef): Segment[] {
  const tags = thinkAnswerScanner.scan(ref.text);
  const tagged = tagSegments(ref, tags, (name) => (name === 'think' ? 'think' : 'answer'));
  const summaries = flatMapped(tags, (tag, index) => {
    const summary = summarySegment(ref, tag, tags[index + 1]);
    return summary === null ? [] : [summary];
  });
  return [...tagged, ...summaries].sort((a, b) => a.span[0] - b.span[0]);
}
