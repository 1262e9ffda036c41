import { ANNOTATION_KEY, parseAnnotations } from '../annotations';
import type { JsonObject } from '../record';
import type { Finding } from './result';

/**
 * A `cot_studio` block that does not read blocks every annotation of the record (operations refuse it), so it
 * is an error naming the field inside the block.
 */
export function annotationFindings(record: JsonObject): Finding[] {
  const read = parseAnnotations(record[ANNOTATION_KEY]);
  if (!('problem' in read)) return [];
  return [{ check: 'annotations', severity: 'error', field: [ANNOTATION_KEY, ...read.path], problem: read.problem }];
}
