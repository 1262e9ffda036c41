import { setImmediate as nextTurn } from 'node:timers/promises';
import { readRecordState } from '../dataset/operations';
import type { FormatId } from '../dataset/record';
import { lineSeed } from '../random';
import { type MadePair, type PairJob, recordPairs } from './recordPairs';
import { emptySummary, type PairSummary, tally } from './summary';
import { errorMessage } from '../errors/message';

/** A run over some records of a dataset. */
export interface PairRun {
  job: PairJob;
  /** 1-based lines of the records, in the order to visit them. */
  lines: readonly number[];
  /** The current text of a 1-based line. */
  lineText(line: number): string;
  /** A format the user forced, or undefined to detect it per record. */
  format: FormatId | undefined;
  seed: number;
  /** Takes a record's pairs as soon as they are made (the editor adds them as one edit). */
  onPairs(line: number, pairs: MadePair[]): void;
  /** After each record, with how many are done and the pairs it got. */
  onRecord?(done: number, line: number, pairs: number): void;
}

/**
 * Makes MPO's pairs for each record in turn, each seeded from the run's seed and its line, so a record gets the
 * same pairs whichever records run with it. A record that cannot be read or prompted is listed and the run goes
 * on; a cancel ends it after the record in progress, whose pairs are dropped.
 */
export async function buildPairs(run: PairRun): Promise<PairSummary> {
  const summary = emptySummary(run.seed);
  for (const [index, line] of run.lines.entries()) {
    if (run.job.signal?.aborted) {
      summary.cancelled = true;
      break;
    }
    // Records skipped without the model would otherwise run back to back and hold up the editor.
    await nextTurn();
    let made = 0;
    try {
      const { parsed } = readRecordState(run.lineText(line), run.format);
      const outcome = await recordPairs(run.job, parsed, lineSeed(run.seed, line), new Date().toISOString());
      tally(summary, outcome);
      if (outcome.kind === 'cancelled') break;
      if ('pairs' in outcome && outcome.pairs.length > 0) {
        made = outcome.pairs.length;
        run.onPairs(line, outcome.pairs);
      }
    } catch (error) {
      summary.failed.push({ line, reason: errorMessage(error) });
    }
    summary.records++;
    run.onRecord?.(index + 1, line, made);
  }
  return summary;
}
