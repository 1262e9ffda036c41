import { createHash } from 'node:crypto';
import { ANNOTATION_KEY } from './annotations';

/**
 * Which record this is across copies of a dataset (annotators' files, commits, a split's parts): its `id`, else a
 * hash of the record without its annotations, which every copy of it shares however it was annotated.
 */
export function recordIdentity(record: Record<string, unknown>): string {
  const id = record.id;
  if (typeof id === 'string' || typeof id === 'number') return `id:${id}`;
  const { [ANNOTATION_KEY]: _, ...content } = record;
  return `sha256:${createHash('sha256').update(JSON.stringify(content)).digest('hex')}`;
}
