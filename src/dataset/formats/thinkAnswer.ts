import type { Segment } from '../record';
import type { TextRef } from './segment';
import { tagScanner, tagSegments } from './tags';

const thinkAnswerScanner = tagScanner(['think', 'answer']);

export function hasThinkAnswer(text: string): boolean {
  return thinkAnswerScanner.opens(text);
}

/** `think` and `answer` segments; text between `</think>` and `<answer>` belongs to neither. */
export function thinkAnswerSegments(ref: TextRef): Segment[] {
  return tagSegments(ref, thinkAnswerScanner.scan(ref.text), (name) => (name === 'think' ? 'think' : 'answer'));
}
