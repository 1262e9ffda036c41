import type { FormatId, JsonObject, ParsedRecord, Segment } from '../record';
import { checkedResponses, responseField } from './responses';
import type { Finding } from './result';
import { flatMapped } from '../flatMapped';

/** Formats that carry no response: a problem with its reference answer, for generation or RL. */
const WITHOUT_RESPONSE: ReadonlySet<FormatId> = new Set(['r1-vl', 'reason-rft-rl', 'verl', 'mm-eureka', 'mmpr-prompt', 'mulberry-search']);

/** The segments that hold a final answer: LLaVA-CoT's CONCLUSION, a `Final answer` section, `<answer>`. */
function isFinalAnswer(segment: Segment): boolean {
  return (
    (segment.kind === 'stage' && segment.label === 'CONCLUSION') ||
    (segment.kind === 'section' && segment.label === 'Final answer') ||
    segment.kind === 'answer'
  );
}

export function emptyAnswerFindings(record: JsonObject, parsed: ParsedRecord): Finding[] {
  const finding = (field: Finding['field'], problem: string): Finding => ({ check: 'empty-answer', severity: 'error', field, problem });
  if (parsed.responses.length === 0) {
    return WITHOUT_RESPONSE.has(parsed.format) ? [] : [finding(responseField(record, undefined), 'no assistant turn after the first user turn')];
  }
  return flatMapped(checkedResponses(parsed), ({ response, named }) => {
    if (response.text.trim() === '') return [finding(responseField(record, response), `${named}the ${response.role} is empty`)];
    return response.segments
      .filter((segment) => isFinalAnswer(segment) && segment.text.trim() === '')
      .map((segment) => finding(segment.path, `${named}the final answer (${segment.label}) is empty`));
  });
}
