import { rewardChecks } from '../../rewards/record';
import type { JsonObject, ParsedRecord } from '../record';
import { responseField } from './responses';
import type { Finding } from './result';

/**
 * Rewards a trainer would give the record and that it fails: only those that read the ground truth
 * (accuracy, key steps, OpenVLThinker), since the format rewards restate the grammar checks. A warning,
 * not an error: a wrong answer is data to fix or drop, not a broken record.
 */
export function rewardFindings(record: JsonObject, parsed: ParsedRecord): Finding[] {
  if (parsed.groundTruth === null) return [];
  const failing = rewardChecks(parsed, 'groundTruth');
  const [first, ...others] = failing;
  if (!first) return [];
  // Several accuracy rewards fail together for one wrong answer: one warning, the others named in it.
  const also = others.length > 0 ? ` (also below passing: ${others.map((check) => `${check.reward} ${check.value}`).join(', ')})` : '';
  return [{ check: 'reward', severity: 'warning', field: responseField(record, parsed.responses[0]), problem: `${first.message}${also}` }];
}
