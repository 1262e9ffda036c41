import { annotatorWork, tallyAnnotatorWork } from './annotatorWork';
import { type Annotations, reviewStatusSchema } from './annotations';
import { type CheckContext, type CheckId, checkIdSchema, checkLine, type LineCheck } from './checks';
import type { DatasetStats } from './statsSchema';

export { type DatasetStats, datasetStatsSchema } from './statsSchema';
import type { Dataset } from './dataset';
import { type ParsedRecord, segmentKindSchema } from './record';
import { readAnnotations, RecordError } from './recordEdit';
import { annotatedReplies, replyKey } from './replies';

/** The checks of one record, by its 1-based line number. */
export interface RecordCheck extends LineCheck {
  line: number;
}

export function checkDatasetLine(dataset: Dataset, line: number, context: CheckContext): RecordCheck {
  return { line: line + 1, ...checkLine(dataset.lineText(line), context, dataset.invalidUtf8(line)) };
}

/** Every record's checks, in file order. */
export function* checkDataset(dataset: Dataset, context: CheckContext): Generator<RecordCheck> {
  for (let index = 0; index < dataset.recordCount; index++) yield checkDatasetLine(dataset, dataset.recordLine(index), context);
}

function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

const LENGTH_BUCKETS = [50, 100, 200, 400, 800, 1600, null] as const;
const NO_CHECKS: ReadonlySet<CheckId> = new Set();

/** What a tally counts lines and records of: a dataset, or a range of a file being read. */
export interface TalliedLines {
  readonly fileName: string;
  readonly lineCount: number;
  readonly recordCount: number;
}

/**
 * Counts formats, review states, check failures, segments and annotations record by record, so the
 * same tally serves the CLI (all at once) and the editor's one pass over the records, which takes back a
 * record's old counts when it is edited (`remove`) instead of counting the file again.
 */
export class StatsTally {
  private readonly stats: DatasetStats;
  private responses = 0;
  /** Responses by their number of segments: the minimum and maximum survive a record taken back. */
  private readonly bySegments = new Map<number, number>();

  constructor(private readonly dataset: TalliedLines) {
    this.stats = {
      file: dataset.fileName,
      lines: dataset.lineCount,
      records: dataset.recordCount,
      formats: {},
      review: zeroCounts(reviewStatusSchema.options),
      checks: zeroCounts(checkIdSchema.options),
      recordsWithErrors: 0,
      segments: { total: 0, byKind: zeroCounts(segmentKindSchema.options), perResponse: { min: 0, mean: 0, max: 0 } },
      segmentLengths: LENGTH_BUCKETS.map((upTo) => ({ upTo, count: 0 })),
      ratings: { correct: 0, neutral: 0, incorrect: 0, unrated: 0 },
      preferencePairs: 0,
      alternatives: 0,
      prelabels: { suggested: 0, confirmed: 0, overridden: 0, byPosition: Array.from({ length: PRELABEL_POSITIONS }, () => ({ confirmed: 0, overridden: 0 })) },
      annotators: {},
    };
  }

  add(check: LineCheck): void {
    this.count(check, 1);
  }

  /** Takes back what `add` counted for a record (its text before an edit). */
  remove(check: LineCheck): void {
    this.count(check, -1);
  }

  private count({ record, parsed, results }: LineCheck, sign: 1 | -1): void {
    const stats = this.stats;
    // Most records fail no check: no set of failed checks is made for them.
    const failed = results.length === 0 ? NO_CHECKS : new Set<CheckId>(results.map((result) => result.check));
    for (const check of failed) stats.checks[check] += sign;
    if (results.some((result) => result.severity === 'error')) stats.recordsWithErrors += sign;
    const formatKey = parsed?.format ?? (failed.has('unparseable') ? 'unparseable' : 'unknown-format');
    stats.formats[formatKey] = (stats.formats[formatKey] ?? 0) + sign;
    if (stats.formats[formatKey] === 0) delete stats.formats[formatKey];
    const annotations = record ? tallyAnnotations(stats, record, sign) : null;
    if (!parsed) return;
    tallySourceLabels(stats, parsed, annotations, sign);
    for (const response of parsed.responses) {
      this.responses += sign;
      const segments = response.segments.length;
      const responses = (this.bySegments.get(segments) ?? 0) + sign;
      if (responses === 0) this.bySegments.delete(segments);
      else this.bySegments.set(segments, responses);
      stats.segments.total += sign * segments;
      for (const segment of response.segments) {
        stats.segments.byKind[segment.kind] += sign;
        const length = segment.text.trim().length;
        const bucket = LENGTH_BUCKETS.findIndex((upTo) => upTo === null || length <= upTo);
        stats.segmentLengths[bucket].count += sign;
      }
    }
  }

  /** Responses counted so far (a record may hold two): what the mean segments per response divides by. */
  get responseCount(): number {
    return this.responses;
  }

  /** The counts so far; lines and records are the dataset's now (a dataset still being indexed grows). */
  result(): DatasetStats {
    const stats = structuredClone(this.stats);
    stats.lines = this.dataset.lineCount;
    stats.records = this.dataset.recordCount;
    const { responses } = this;
    const counts = [...this.bySegments.keys()];
    stats.segments.perResponse = {
      min: responses === 0 ? 0 : Math.min(...counts),
      mean: responses === 0 ? 0 : stats.segments.total / responses,
      max: responses === 0 ? 0 : Math.max(...counts),
    };
    stats.ratings.unrated = Math.max(0, stats.segments.total - stats.ratings.correct - stats.ratings.neutral - stats.ratings.incorrect);
    return stats;
  }
}

/** Counts formats, review states, check failures, segments and annotations over the whole dataset. */
export function tallyDataset(dataset: Dataset, context: CheckContext): StatsTally {
  const tally = new StatsTally(dataset);
  for (const check of checkDataset(dataset, { ...context, ranges: false })) tally.add(check);
  return tally;
}

export function datasetStats(dataset: Dataset, context: CheckContext): DatasetStats {
  return tallyDataset(dataset, context).result();
}

/** Step positions the overview tells apart; later steps count with the last. */
const PRELABEL_POSITIONS = 10;

/** A suggestion counted, and what became of it at its step's position (the segment key ends in the index). */
function tallyPrelabel(counts: DatasetStats['prelabels'], key: string, decision: 'confirmed' | 'overridden' | undefined, sign: 1 | -1): void {
  counts.suggested += sign;
  if (decision === undefined) return;
  counts[decision] += sign;
  const index = Number(key.slice(key.lastIndexOf(':') + 1));
  const bucket = counts.byPosition[Math.min(Number.isInteger(index) ? index : 0, PRELABEL_POSITIONS - 1)];
  if (bucket) bucket[decision] += sign;
}

/** Counts a record's annotations; null when its block is malformed. */
function tallyAnnotations(stats: DatasetStats, record: Parameters<typeof readAnnotations>[0], sign: 1 | -1): Annotations | null {
  let annotations: Annotations;
  try {
    annotations = readAnnotations(record);
  } catch (error) {
    // A malformed annotation block is counted by the `annotations` check; here the record simply counts as unreviewed.
    if (!(error instanceof RecordError)) throw error;
    stats.review.unreviewed += sign;
    return null;
  }
  stats.review[annotations.review.status] += sign;
  tallyAnnotatorWork(stats.annotators, annotatorWork(annotations), sign);
  stats.preferencePairs += sign * annotations.preferencePairs.length;
  for (const [key, segment] of Object.entries(annotations.segments)) {
    stats.alternatives += sign * segment.alternatives.length;
    if (segment.prelabel) tallyPrelabel(stats.prelabels, key, segment.prelabel.decision, sign);
    if (segment.rating === 1) stats.ratings.correct += sign;
    else if (segment.rating === 0) stats.ratings.neutral += sign;
    else if (segment.rating === -1) stats.ratings.incorrect += sign;
  }
  return annotations;
}

/** The labels a record gives its own steps count as ratings where the annotator gave none (the annotator's were counted above). */
function tallySourceLabels(stats: DatasetStats, parsed: ParsedRecord, annotations: Annotations | null, sign: 1 | -1): void {
  annotatedReplies(parsed).forEach((reply) => {
    reply.response.segments.forEach((segment, index) => {
      const annotated = (annotations?.segments[replyKey(reply, index)]?.rating ?? null) !== null;
      const rating = segment.sourceLabel?.rating ?? null;
      if (annotated || rating === null) return;
      stats.ratings[rating === 1 ? 'correct' : rating === 0 ? 'neutral' : 'incorrect'] += sign;
    });
  });
}
