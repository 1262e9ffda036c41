import { z } from 'zod';
import type { Dataset } from '../dataset';
import type { CheckContext } from '../dataset/checks';
import { type RecordFacts, readFacts } from '../dataset/facts';
import { checkWriteTarget } from '../files/writeTarget';
import { STANDARD_INPUT } from './datasetFile';
import type { ReplyChoice } from './modelReply';
import { UsageError } from './usage';

/** Options of a command that does one record (--line N) or many into a copy (--all, --lines LIST). */
export const batchOptions = {
  line: { type: 'string' },
  all: { type: 'boolean', default: false },
  lines: { type: 'string' },
  concurrency: { type: 'string' },
  output: { type: 'string' },
  write: { type: 'boolean', default: false },
} as const;

/** Records in flight at once in a batch; the backend's own default when left out. */
export const concurrencySchema = z.number().int().min(1).max(64).optional();

interface ModeValues {
  line?: string | undefined;
  all: boolean;
  lines?: string | undefined;
  write: boolean;
  concurrency?: string | undefined;
  output?: string | undefined;
  filter?: string | undefined;
}

/**
 * Whether a command line asks for many records (--all or --lines, written into a copy) rather than one (--line N);
 * options of the other mode are usage errors, found before anything is loaded.
 */
export function isBatch(file: string, values: ModeValues): boolean {
  const many = values.all ? '--all' : values.lines !== undefined ? '--lines' : undefined;
  if (file === STANDARD_INPUT && (values.write || many)) throw new UsageError('--write, --all and --lines need a FILE, not standard input');
  if (values.all && values.lines !== undefined) throw new UsageError('--all and --lines are mutually exclusive');
  if (many === undefined) {
    const batchOnly = (['filter', 'concurrency', 'output'] as const).find((option) => values[option] !== undefined);
    if (batchOnly) throw new UsageError(`--${batchOnly} needs --all or --lines`);
    return false;
  }
  if (values.line !== undefined) throw new UsageError(`--line and ${many} are mutually exclusive`);
  if (values.write) throw new UsageError(`--write changes one record in place; ${many} writes a copy (--output OUT)`);
  return true;
}

/** Where a batch writes when --output is not given: beside FILE, named for what was done (`FILE.prelabelled.jsonl`). */
export const defaultOutput = (file: string, done: string): string => `${file.replace(/\.jsonl$/, '')}.${done}.jsonl`;

/** A batch's output, checked before any model loads: writable, and never the input (a batch never changes it). */
export async function batchOutput(file: string, output: string | undefined, done: string): Promise<string> {
  const chosen = output ?? defaultOutput(file, done);
  await checkWriteTarget(chosen, { notSameAs: [file] });
  return chosen;
}

/** What decides which records and replies a batch reads, for its journal to compare. */
export function readingSettings(
  lines: string | undefined,
  reply: Pick<ReplyChoice, 'side' | 'turn' | 'format'>,
  imageRoots: readonly string[],
): Record<string, string | number> {
  return {
    ...(lines === undefined ? {} : { '--lines': lines }),
    '--side': reply.side,
    '--turn': reply.turn ?? 'last',
    '--format': reply.format ?? 'auto',
    // Which images the model is shown (a record's image found in a root, or not at all).
    '--image-root': imageRoots.join(', '),
  };
}

/** A record's facts (review status, checks) as a `--filter` reads them. */
export const lineFacts = (dataset: Dataset, checks: CheckContext, line: number): RecordFacts =>
  readFacts(dataset.lineText(line - 1), checks, dataset.invalidUtf8(line - 1)).facts;
