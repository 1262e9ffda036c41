import type { FilterCounts } from './filters';
import type { ExportOptions } from './types';

/**
 * What the filters that were on did, one phrase each for the export summary (`reflections cut in 3 records`);
 * empty when none was on. A question with no correct response is named apart: its records are all gone.
 */
export function describeFilters(counts: FilterCounts, options: Pick<ExportOptions, 'shortestCorrect' | 'maxWords' | 'cutReflections'>): string[] {
  const phrases: string[] = [];
  if (options.cutReflections) phrases.push(`reflections cut in ${counts.reflectionsCut} records`);
  if (options.maxWords !== undefined) phrases.push(`${counts.overWordLimit} records over ${options.maxWords} words dropped`);
  if (options.shortestCorrect) {
    phrases.push(
      `${counts.notShortestCorrect} records dropped beside a shorter correct response`,
      `${counts.questionsWithoutCorrect} questions with no correct response dropped (${counts.recordsWithoutCorrect} records)`,
    );
  }
  return phrases;
}
