import { literalRegex, textWithout } from '../../backends/constraint';
import type { Structure } from '../../dataset/formats/structure';
import type { Response } from '../../dataset/record';
import { glueAfter, MARKUP } from '../segmentPrompt';

const FINAL_ANSWER = '\n### The final answer is:';

/**
 * The grammar of a tree-search continuation, as a regular expression its whole text must match: the rest of
 * the response from the point `written` (the response up to the node being expanded) reaches.
 *
 * - Stages and think/answer: the segments still to come, each free of markup, joined by the record's own markup
 *   between them (closing tag, blank line, next opening tag), so stages come in the record's order, and the
 *   record's markup after its last segment.
 * - Mulberry sections: sections free of markup, any number of them, ending in the final-answer section.
 *
 * Undefined for a response without structure, where any text is a step.
 */
export function continuationRegex(structure: Structure | null, response: Response, first: number, written: string): string | undefined {
  const body = textWithout(MARKUP);
  if (body === undefined || structure === null) return undefined;
  const start = response.segments[first]?.span[0] ?? 0;
  const chain = written.slice(start);
  if (structure === 'sections') {
    return written.includes(FINAL_ANSWER) ? body : `${body}(?:\\n###${body})*${literalRegex(FINAL_ANSWER)}${body}`;
  }
  // The segment the continuation starts in: one on for each of the record's markup the chain already wrote.
  let segment = first;
  let from = 0;
  for (; segment < response.segments.length - 1; segment++) {
    const glue = glueAfter(response, segment);
    const at = glue === '' ? -1 : chain.indexOf(glue, from);
    if (at < 0) break;
    from = at + glue.length;
  }
  const last = response.segments[response.segments.length - 1];
  const tail = last === undefined ? '' : response.text.slice(last.span[1]);
  const parts = [body];
  for (let index = segment; index < response.segments.length - 1; index++) parts.push(literalRegex(glueAfter(response, index)), body);
  return `${parts.join('')}${literalRegex(tail)}`;
}
