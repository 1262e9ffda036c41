import { STRUCTURES, type Structure } from '../../dataset/formats/structure';
import type { ChainStep } from './tree';

/** A blank line (possibly with spaces) separates paragraphs of free reasoning. */
const PARAGRAPH_BREAK = /\n[ \t]*\n\s*/g;

/** [start, end) ranges of the paragraphs of `text.slice(from, to)`, as offsets into `text`. */
function paragraphs(text: string, from: number, to: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  const body = text.slice(from, to);
  let start = 0;
  PARAGRAPH_BREAK.lastIndex = 0;
  for (let match = PARAGRAPH_BREAK.exec(body); match; match = PARAGRAPH_BREAK.exec(body)) {
    if (match.index > start) ranges.push([from + start, from + match.index]);
    start = match.index + match[0].length;
  }
  if (start < body.length) ranges.push([from + start, to]);
  return ranges;
}

/**
 * A continuation written after `prefix`, cut into the steps the search tree holds: the record's segments
 * (LLaVA-CoT stages, `###` sections), with `<think>` blocks and unstructured text cut into paragraphs. Each
 * step keeps the markup that follows it up to the next step, so the steps joined back give the continuation
 * exactly. The first step starts where the prefix ends (inside the segment being regenerated).
 */
export function chainSteps(structure: Structure | null, prefix: string, continuation: string): ChainStep[] {
  const full = prefix + continuation;
  const ranges: Array<[number, number]> = [];
  if (structure === null) {
    ranges.push(...paragraphs(full, prefix.length, full.length));
  } else {
    for (const segment of STRUCTURES[structure].segments({ text: full, path: [] })) {
      const [start, end] = segment.span;
      if (end <= prefix.length) continue;
      const from = Math.max(start, prefix.length);
      ranges.push(...(segment.kind === 'think' ? paragraphs(full, from, end) : [[from, end] as [number, number]]));
    }
  }
  if (ranges.length === 0) return continuation.trim() === '' ? [] : [{ text: continuation, after: '' }];
  // Whatever the model wrote before the first recognised step still belongs to the chain.
  (ranges[0] as [number, number])[0] = prefix.length;
  return ranges.map(([start, end], i) => ({ text: full.slice(start, end), after: full.slice(end, ranges[i + 1]?.[0] ?? full.length) }));
}

/** The text a chain of steps stands for after its prefix. */
export function chainText(steps: readonly ChainStep[]): string {
  return steps.map((step) => step.text + (step.after ?? '')).join('');
}
