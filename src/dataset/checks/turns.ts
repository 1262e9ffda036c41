import { turnsOutsideExchange } from '../formats/chat';
import type { FormatId, JsonObject } from '../record';
import type { Finding } from './result';

/**
 * A system prompt or a further exchange is data the sample view does not show, the checks do not read and
 * exports refuse to drop: a warning, so the reviewer knows the record holds more than its first exchange.
 */
export function turnFindings(record: JsonObject, format: FormatId): Finding[] {
  const outside = turnsOutsideExchange(record, format);
  if (!outside) return [];
  return [
    {
      check: 'turns',
      severity: 'warning',
      field: [outside.key, outside.indices[0]],
      problem: `turn(s) ${outside.described.join(', ')} are outside the first exchange: not shown, checked or exported`,
    },
  ];
}
