import { z } from 'zod';
import { correctnessCountsSchema } from './correctness';
import { type RecordPairs, skipReasonSchema } from './recordPairs';

const count = z.number().int().min(0);

/**
 * What a run over a dataset did, as the command returns it and the CLI prints it (`--json`): the correctness
 * counts summed over every question, and per record what came of it.
 */
export const pairSummarySchema = correctnessCountsSchema.extend({
  /** The run's seed; each record's is derived from it and the record's line. */
  seed: count,
  /** Records looked at. */
  records: count,
  recordsWithPairs: count,
  /** Pairs made, of both kinds. */
  pairs: count,
  correctnessPairs: count,
  withoutImagePairs: count,
  /** Responses sampled for questions with a ground truth. */
  samples: count,
  /** Questions none of whose samples was correct: no chosen side. */
  noCorrect: count,
  /** Questions all of whose samples were correct (or blank): no rejected side. */
  noWrong: count,
  /** Records given no pair without asking the model, by reason. */
  skipped: z.record(skipReasonSchema, count),
  /** Records that could not be read or prompted (an unreadable line, a missing image), by line. */
  failed: z.array(z.object({ line: z.number().int().min(1), reason: z.string() })),
  /** The run was cancelled; records after the one in progress were not looked at. */
  cancelled: z.boolean(),
});
export type PairSummary = z.infer<typeof pairSummarySchema>;

export function emptySummary(seed: number): PairSummary {
  const skipped = Object.fromEntries(skipReasonSchema.options.map((reason) => [reason, 0])) as PairSummary['skipped'];
  return {
    seed,
    records: 0,
    recordsWithPairs: 0,
    pairs: 0,
    correctnessPairs: 0,
    withoutImagePairs: 0,
    samples: 0,
    correct: 0,
    wrong: 0,
    formatNegatives: 0,
    duplicates: 0,
    blank: 0,
    skippedByGuard: 0,
    capped: 0,
    noCorrect: 0,
    noWrong: 0,
    skipped,
    failed: [],
    cancelled: false,
  };
}

/** Adds one record's outcome to the summary. */
export function tally(summary: PairSummary, outcome: RecordPairs): void {
  switch (outcome.kind) {
    case 'cancelled':
      summary.cancelled = true;
      return;
    case 'skipped':
      summary.skipped[outcome.reason]++;
      return;
    case 'without-image':
      summary.withoutImagePairs += outcome.pairs.length;
      break;
    case 'correctness': {
      const { counts } = outcome;
      for (const key of correctnessCountsSchema.keyof().options) summary[key] += counts[key];
      summary.samples += outcome.samples;
      summary.correctnessPairs += outcome.pairs.length;
      if (counts.correct === 0) summary.noCorrect++;
      if (counts.wrong + counts.formatNegatives === 0) summary.noWrong++;
      break;
    }
  }
  summary.pairs += outcome.pairs.length;
  if (outcome.pairs.length > 0) summary.recordsWithPairs++;
}

/** The summary in a sentence or two, for the terminal and the notification. */
export function describeSummary(summary: PairSummary): string {
  const skipped = Object.entries(summary.skipped)
    .filter(([, records]) => records > 0)
    .map(([reason, records]) => `${records} ${reason}`);
  // Without a question with a ground truth nothing was sampled, and its figures would all read 0.
  const sampled =
    summary.samples === 0
      ? []
      : [
          `${summary.samples} samples: ${summary.correct} correct, ${summary.wrong} wrong, ${summary.formatNegatives} format negatives, ${summary.duplicates} duplicates, ${summary.blank} blank`,
          `${summary.skippedByGuard} pairs skipped by the guard, ${summary.capped} over the cap`,
          `${summary.noCorrect} questions with no correct answer, ${summary.noWrong} with no wrong one`,
        ];
  return [
    `${summary.pairs} pairs for ${summary.recordsWithPairs} of ${summary.records} records (${summary.correctnessPairs} mpo-correctness, ${summary.withoutImagePairs} mpo-without-image)`,
    ...sampled,
    ...(skipped.length > 0 ? [`records skipped: ${skipped.join(', ')}`] : []),
    ...(summary.failed.length > 0 ? [`${summary.failed.length} records failed`] : []),
    ...(summary.cancelled ? ['cancelled'] : []),
  ].join('; ');
}
