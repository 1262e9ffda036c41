import { describeInvalidUtf8, type InvalidUtf8 } from '../utf8';
import type { LineTree } from './lineTree';
import type { Finding } from './result';

/** A line whose bytes are not UTF-8, at its first bad byte and named by the field that holds it. */
export function encodingFindings(invalid: InvalidUtf8 | undefined, tree: LineTree): Finding[] {
  if (!invalid) return [];
  const path = tree.pathAt(invalid.column);
  return [
    {
      check: 'encoding',
      severity: 'error',
      field: path && path.length > 0 ? path : null,
      problem: `${describeInvalidUtf8(invalid)}: readers see U+FFFD there, and CoT Studio will not rewrite the line (fix the bytes in a text editor)`,
      at: [invalid.column, invalid.column + 1],
    },
  ];
}
