import { turnsOutsideExchange } from '../formats/chat';
import type { JsonObject, ParsedRecord } from '../record';
import type { Finding } from './result';

/**
 * A system prompt or a further exchange is data the sample view does not show and the checks do not read: a
 * warning, so the reviewer knows the record holds more than its first exchange. Later exchanges the chat
 * exports write are said to be exported; turns no export writes are said to be lost to them.
 */
export function turnFindings(record: JsonObject, parsed: ParsedRecord): Finding[] {
  const outside = turnsOutsideExchange(record, parsed);
  if (!outside) return [];
  const findings: Finding[] = [];
  if (outside.later) {
    findings.push({
      check: 'turns',
      severity: 'warning',
      field: [outside.key, outside.later.indices[0]],
      problem: `turn(s) ${outside.later.described.join(', ')} follow the first exchange: not shown or checked; the chat exports write them, the preference and step exports refuse the record`,
    });
  }
  if (outside.lost) {
    findings.push({
      check: 'turns',
      severity: 'warning',
      field: [outside.key, outside.lost.indices[0]],
      problem: `turn(s) ${outside.lost.described.join(', ')} are outside the first exchange: not shown, checked or exported`,
    });
  }
  return findings;
}
