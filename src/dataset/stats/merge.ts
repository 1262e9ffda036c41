import { tallyAnnotatorWork } from '../annotatorWork';
import type { DatasetStats } from '../statsSchema';
import type { StatsPart } from './protocol';

function addCounts<K extends string>(into: Record<K, number>, from: Record<K, number>): void {
  for (const key of Object.keys(from) as K[]) into[key] = (into[key] ?? 0) + from[key];
}

/** The tally of a whole file from the tallies of its chunks, as one pass over the file would count it. */
export function mergeStatsParts(file: string, parts: readonly StatsPart[]): DatasetStats {
  const [first, ...others] = parts;
  if (!first) throw new Error('no stats to merge');
  const merged = structuredClone(first.stats);
  merged.file = file;
  let responses = first.responses;
  let { min, max } = merged.segments.perResponse;
  for (const { stats, responses: partResponses } of others) {
    merged.lines += stats.lines;
    merged.records += stats.records;
    merged.recordsWithErrors += stats.recordsWithErrors;
    merged.preferencePairs += stats.preferencePairs;
    merged.alternatives += stats.alternatives;
    addCounts(merged.formats, stats.formats);
    addCounts(merged.review, stats.review);
    addCounts(merged.checks, stats.checks);
    addCounts(merged.ratings, stats.ratings);
    merged.prelabels.suggested += stats.prelabels.suggested;
    merged.prelabels.confirmed += stats.prelabels.confirmed;
    merged.prelabels.overridden += stats.prelabels.overridden;
    stats.prelabels.byPosition.forEach((bucket, index) => {
      const into = merged.prelabels.byPosition[index];
      if (into) addCounts(into, bucket);
    });
    tallyAnnotatorWork(merged.annotators, new Map(Object.entries(stats.annotators)), 1);
    addCounts(merged.segments.byKind, stats.segments.byKind);
    merged.segments.total += stats.segments.total;
    stats.segmentLengths.forEach((bucket, index) => {
      merged.segmentLengths[index].count += bucket.count;
    });
    if (partResponses > 0) {
      min = responses === 0 ? stats.segments.perResponse.min : Math.min(min, stats.segments.perResponse.min);
      max = Math.max(max, stats.segments.perResponse.max);
    }
    responses += partResponses;
  }
  merged.segments.perResponse = { min, mean: responses === 0 ? 0 : merged.segments.total / responses, max };
  return merged;
}
