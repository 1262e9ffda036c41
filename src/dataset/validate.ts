import { z } from 'zod';
import { reviewStatusSchema } from './annotations';
import { type CheckContext, type CheckId, checkIdSchema, checkLine, type LineCheck } from './checks';
import type { Dataset } from './dataset';
import { segmentKindSchema } from './record';
import { readAnnotations, RecordError } from './recordEdit';

/** The checks of one record, by its 1-based line number. */
export interface RecordCheck extends LineCheck {
  line: number;
}

export function checkDatasetLine(dataset: Dataset, line: number, context: CheckContext): RecordCheck {
  return { line: line + 1, ...checkLine(dataset.lineText(line), context) };
}

/** Every record's checks, in file order. */
export function* checkDataset(dataset: Dataset, context: CheckContext): Generator<RecordCheck> {
  for (let index = 0; index < dataset.recordCount; index++) yield checkDatasetLine(dataset, dataset.recordLine(index), context);
}

const countsSchema = z.record(z.string(), z.number().int().min(0));

/** What `cot-studio stats --json` prints. */
export const datasetStatsSchema = z.object({
  file: z.string(),
  lines: z.number().int().min(0),
  records: z.number().int().min(0),
  /** Records per format, plus `unparseable` and `unknown-format` for lines no adapter reads. */
  formats: countsSchema,
  review: z.record(reviewStatusSchema, z.number().int().min(0)),
  /** Records failing each check (a record counts once per check). */
  checks: z.record(checkIdSchema, z.number().int().min(0)),
  /** Records with at least one error. */
  recordsWithErrors: z.number().int().min(0),
  segments: z.object({
    total: z.number().int().min(0),
    byKind: z.record(segmentKindSchema, z.number().int().min(0)),
    perResponse: z.object({ min: z.number(), mean: z.number(), max: z.number() }),
  }),
  ratings: z.object({ correct: z.number().int(), neutral: z.number().int(), incorrect: z.number().int(), unrated: z.number().int() }),
  preferencePairs: z.number().int().min(0),
  alternatives: z.number().int().min(0),
});
export type DatasetStats = z.infer<typeof datasetStatsSchema>;

function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

/** Counts formats, review states, check failures, segments and annotations over the whole dataset. */
export function datasetStats(dataset: Dataset, context: CheckContext): DatasetStats {
  const stats: DatasetStats = {
    file: dataset.fileName,
    lines: dataset.lineCount,
    records: dataset.recordCount,
    formats: {},
    review: zeroCounts(reviewStatusSchema.options),
    checks: zeroCounts(checkIdSchema.options),
    recordsWithErrors: 0,
    segments: { total: 0, byKind: zeroCounts(segmentKindSchema.options), perResponse: { min: 0, mean: 0, max: 0 } },
    ratings: { correct: 0, neutral: 0, incorrect: 0, unrated: 0 },
    preferencePairs: 0,
    alternatives: 0,
  };
  let responses = 0;
  let min = Infinity;
  let max = 0;
  for (const { record, parsed, results } of checkDataset(dataset, context)) {
    const failed = new Set<CheckId>(results.map((result) => result.check));
    for (const check of failed) stats.checks[check]++;
    if (results.some((result) => result.severity === 'error')) stats.recordsWithErrors++;
    const formatKey = parsed?.format ?? (failed.has('unparseable') ? 'unparseable' : 'unknown-format');
    stats.formats[formatKey] = (stats.formats[formatKey] ?? 0) + 1;
    if (record) tallyAnnotations(stats, record);
    if (!parsed) continue;
    for (const response of parsed.responses) {
      responses++;
      min = Math.min(min, response.segments.length);
      max = Math.max(max, response.segments.length);
      stats.segments.total += response.segments.length;
      for (const segment of response.segments) stats.segments.byKind[segment.kind]++;
    }
  }
  stats.segments.perResponse = { min: responses === 0 ? 0 : min, mean: responses === 0 ? 0 : stats.segments.total / responses, max };
  stats.ratings.unrated = Math.max(0, stats.segments.total - stats.ratings.correct - stats.ratings.neutral - stats.ratings.incorrect);
  return stats;
}

function tallyAnnotations(stats: DatasetStats, record: Parameters<typeof readAnnotations>[0]): void {
  let annotations;
  try {
    annotations = readAnnotations(record);
  } catch (error) {
    // A malformed annotation block is reported by validation; here the record simply counts as unreviewed.
    if (!(error instanceof RecordError)) throw error;
    stats.review.unreviewed++;
    return;
  }
  stats.review[annotations.review.status]++;
  stats.preferencePairs += annotations.preferencePairs.length;
  for (const segment of Object.values(annotations.segments)) {
    stats.alternatives += segment.alternatives.length;
    if (segment.rating === 1) stats.ratings.correct++;
    else if (segment.rating === 0) stats.ratings.neutral++;
    else if (segment.rating === -1) stats.ratings.incorrect++;
  }
}
