import { createHash } from 'node:crypto';
import { ANNOTATION_KEY } from './annotations';
import type { JsonObject, ParsedRecord } from './record';

const hash = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/**
 * Which record this is across copies of a dataset (annotators' files, commits, a split's parts): its `id`; else,
 * for a record a format reads, its prompt (system, questions, images), which annotators do not edit, so a copy
 * whose response was edited is still the same record; else a hash of the record without its annotations.
 * Records with the same prompt are told apart by `Occurrences`.
 */
export function recordIdentity(record: JsonObject, parsed?: ParsedRecord | null): string {
  const id = record.id ?? parsed?.id;
  if (typeof id === 'string' || typeof id === 'number') return `id:${id}`;
  if (parsed) {
    const questions = parsed.conversation?.filter((turn) => turn.role === 'user').map((turn) => turn.text) ?? [parsed.question];
    return `prompt:${hash([parsed.format, parsed.system ?? null, questions, parsed.images])}`;
  }
  const { [ANNOTATION_KEY]: _, ...content } = record;
  return `sha256:${hash(content)}`;
}

/** Numbers the second and later records of one identity in a file (`#2`, `#3`), so that none stands for another. */
export class Occurrences {
  private readonly seen = new Map<string, number>();

  of(identity: string): string {
    const count = (this.seen.get(identity) ?? 0) + 1;
    this.seen.set(identity, count);
    return count === 1 ? identity : `${identity}#${count}`;
  }
}
