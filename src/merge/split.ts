import { z } from 'zod';
import { readRecord, RecordError } from '../dataset/recordEdit';
import { seededRandom, seedSchema } from '../random';

/** An annotator's name as it stands in a file name (`data.alice.jsonl`): letters, digits, `_`, `-` and inner dots. */
export const annotatorNameSchema = z
  .string()
  .regex(/^[\p{L}\p{N}_-]([\p{L}\p{N}_.-]*[\p{L}\p{N}_-])?$/u, { error: 'a name is letters, digits, _, - and inner dots' });

export const splitSettingsSchema = z
  .object({
    annotators: z
      .number({ error: ({ input }) => (input === undefined ? '--annotators N is required (or --names)' : 'expected a whole number from 2 to 1000') })
      .int()
      .min(2)
      .max(1000),
    /** The fraction of the records every annotator gets: the common set their agreement is measured on. */
    overlap: z.number().min(0).max(1).default(0.2),
    seed: seedSchema,
    names: z.array(annotatorNameSchema).optional(),
  })
  .refine((settings) => settings.names === undefined || settings.names.length === settings.annotators, {
    error: '--names must give one name per annotator',
    path: ['names'],
  })
  .refine((settings) => settings.names === undefined || new Set(settings.names).size === settings.names.length, {
    error: '--names must differ',
    path: ['names'],
  });
export type SplitSettings = z.infer<typeof splitSettingsSchema>;

/** What a split deals out: each annotator's lines (0-based, in file order), which records are shared, and the lines that are no records. */
export interface SplitAssignment {
  shares: number[][];
  shared: ReadonlySet<number>;
  notRecords: number[];
}

function isRecord(line: string): boolean {
  try {
    readRecord(line);
    return true;
  } catch (error) {
    if (error instanceof RecordError) return false;
    throw error;
  }
}

/**
 * Deals a dataset's records out to annotators: the records shuffled by the seed, the first
 * round(overlap x records) go to everyone, the rest one each in turn. Lines that are no records (blank, not
 * JSON objects) go to the first annotator, so that the files together hold every line.
 */
export function splitLines(lines: readonly string[], settings: Pick<SplitSettings, 'annotators' | 'overlap' | 'seed'>): SplitAssignment {
  const records: number[] = [];
  const notRecords: number[] = [];
  for (const [index, line] of lines.entries()) (isRecord(line) ? records : notRecords).push(index);
  const random = seededRandom(settings.seed);
  // Fisher-Yates, so every order is as likely.
  for (let i = records.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [records[i], records[j]] = [records[j] as number, records[i] as number];
  }
  const sharedCount = Math.round(settings.overlap * records.length);
  const shared = new Set(records.slice(0, sharedCount));
  const shares = Array.from({ length: settings.annotators }, (_, annotator) =>
    records.filter((_, position) => position < sharedCount || (position - sharedCount) % settings.annotators === annotator),
  );
  shares[0]?.push(...notRecords);
  for (const share of shares) share.sort((a, b) => a - b);
  return { shares, shared, notRecords };
}
