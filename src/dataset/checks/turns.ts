import { turnsOutsideExchange } from '../formats/chat';
import type { JsonObject, ParsedRecord } from '../record';
import type { Finding } from './result';

/**
 * Turns outside the conversation CoT Studio reads (system and tool turns after the question, or a record that
 * does not go on in questions and replies) are data the sample view does not show and the checks do not read:
 * a warning, so the reviewer knows the record holds more than is shown. The later exchanges of a conversation
 * are shown and checked like the first.
 */
export function turnFindings(record: JsonObject, parsed: ParsedRecord): Finding[] {
  const outside = turnsOutsideExchange(record, parsed);
  if (!outside?.lost) return [];
  return [
    {
      check: 'turns',
      severity: 'warning',
      field: [outside.key, outside.lost.indices[0]],
      problem: `turn(s) ${outside.lost.described.join(', ')} are outside the conversation: not shown, checked or exported`,
    },
  ];
}
