import { unlinkedRepeats } from '../linkedText';
import type { JsonObject, ParsedRecord } from '../record';
import { formatPath } from '../recordEdit';
import type { Finding } from './result';

/** A string that should repeat a step and no longer does: the record says two things, and edits of the step will not reach it. */
export function linkedTextFindings(record: JsonObject, parsed: ParsedRecord): Finding[] {
  return unlinkedRepeats(record, parsed).map(({ path, segment }) => ({
    check: 'linked-text',
    severity: 'warning',
    field: path,
    problem: `no longer matches its steps: it does not hold ${segment.label} as ${formatPath(segment.path)} has it, so an edit of the step leaves it as it is`,
  }));
}
