import type { Segment } from '../record';
import type { TextRef } from './segment';
import { scanTags, tagSegments } from './tags';

const THINK_ANSWER = ['think', 'answer'] as const;

export function hasThinkAnswer(text: string): boolean {
  return scanTags(text, THINK_ANSWER).some((tag) => !tag.closing);
}

/** `think` and `answer` segments; text between `</think>` and `<answer>` belongs to neither. */
export function thinkAnswerSegments(ref: TextRef): Segment[] {
  return tagSegments(ref, scanTags(ref.text, THINK_ANSWER), (name) => (name === 'think' ? 'think' : 'answer'));
}
