import * as fs from 'node:fs';
import type { z } from 'zod';
import type { Dataset } from '../dataset';
import { errorMessage } from '../errors/message';
import { atomicWrite } from '../files/atomicWrite';
import { acquireFileLock, type HeldLock } from '../files/fileLock';
import { lineSeed } from '../random';
import { BatchJournal, type Counts, type JournalEntry } from './batchJournal';
import { printErr, printOut } from './terminal';

export interface BatchRun {
  /** The input as named on the command line, for messages. */
  file: string;
  dataset: Dataset;
  output: string;
  /** 1-based lines of the records to do, in order. */
  lines: readonly number[];
  /** How they were chosen, for the summary (`--filter all`). */
  selection: string;
  concurrency: number;
  /** `--seed`, or undefined to reuse a journal's or draw one. */
  seed: number | undefined;
  /** Everything else that decides the output, for the journal to compare. */
  settings: Record<string, string | number | boolean>;
  json: boolean;
}

/**
 * What became of one record: its new line with what it counted; a failure (copied unchanged, retried by the next run),
 * with the work it spent; or a record the command does not apply to (copied unchanged, counted by reason).
 */
export type RecordOutcome<C extends Counts> = { text: string; counts: C } | { failed: string; spent?: C } | { skipped: string };

/** A batch command's work on each record and how it reports it; the runner does the rest. */
export interface BatchJob<C extends Counts> {
  /** `cot-studio regenerate --all`: names the journal and the output's lock. */
  command: string;
  /** What the summary calls a record done (`regenerated`), and its key in the JSON summary. */
  done: string;
  /** The counts a finished record's journal entry keeps. */
  counts: z.ZodType<C>;
  /** Nothing counted: what the totals start from. */
  zero: C;
  /** One record's line (1-based `line`), seeded from the run's seed and its line. */
  run(lineText: string, line: number, seed: number): Promise<RecordOutcome<C>>;
  /** A finished record's progress line (`3 candidates`). */
  describe(counts: C): string;
  /** The summary's totals (`12 candidates added, 40 judge calls`). */
  describeTotals(totals: C): string;
}

const journalPath = (output: string): string => `${output}.journal`;

/** Runs `work` on every item, at most `limit` at a time. */
async function inPool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function sum<C extends Counts>(zero: C, all: Iterable<C>): C {
  const total: Counts = { ...zero };
  for (const counts of all) for (const key of Object.keys(zero)) total[key] = (total[key] ?? 0) + (counts[key] ?? 0);
  return total as C;
}

/** Locks a batch command's output before anything is loaded: a second run into it stops at once rather than interleave. */
export const lockBatchOutput = (output: string, command: string): Promise<HeldLock> => acquireFileLock(output, { purpose: command, waitMs: 0 });

/** Runs `work` (which loads the model, then runs the batch) with the output locked, released whatever happens. */
export async function withLockedOutput<T>(output: string, command: string, work: () => Promise<T>): Promise<T> {
  const lock = await lockBatchOutput(output, command);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

/**
 * A batch command (`regenerate --all`, `prelabel --all`, `mc-score --all`): `job.run` for every selected record,
 * `concurrency` at a time, written into a copy; lines not selected, skipped or that failed are copied byte for byte.
 * Finished records are journaled as they finish, so a re-run of the same command after an interruption does only
 * what is left.
 */
export async function runBatch<C extends Counts>(run: BatchRun, job: BatchJob<C>): Promise<number> {
  const started = performance.now();
  const { dataset, file, lines } = run;
  const { size, mtimeMs } = fs.statSync(file);
  const input = { file: fs.realpathSync(file), size, mtimeMs };
  const key = { command: job.command, input, settings: run.settings };
  const journal = await BatchJournal.open(journalPath(run.output), key, job.counts, run.seed, (message) => printErr(`${message}\n`));
  const done = new Map<number, JournalEntry<C>>(journal.done);
  const pending = lines.filter((line) => !done.has(line));
  const failures: Array<{ line: number; reason: string }> = [];
  const skips = new Map<string, number>();
  // Work spent on records that failed still counts in the summary.
  const spent: C[] = [];
  const skipped = (): number => [...skips.values()].reduce((total, count) => total + count, 0);
  const progress = (line: number, what: string): void => {
    if (!run.json) printErr(`[${done.size + failures.length + skipped()}/${lines.length}] ${file}:${line}: ${what}\n`);
  };
  await inPool(pending, run.concurrency, async (line) => {
    let outcome: RecordOutcome<C>;
    try {
      // Refused before any work: the line could not be written back.
      const refusal = dataset.rewriteRefusal(line - 1);
      outcome = refusal !== undefined ? { failed: refusal } : await job.run(dataset.lineText(line - 1), line, lineSeed(journal.seed, line));
    } catch (error) {
      outcome = { failed: errorMessage(error) };
    }
    if ('text' in outcome) {
      const entry = { line, text: outcome.text, counts: outcome.counts };
      await journal.append(entry);
      done.set(line, entry);
      progress(line, job.describe(outcome.counts));
    } else if ('skipped' in outcome) {
      skips.set(outcome.skipped, (skips.get(outcome.skipped) ?? 0) + 1);
      progress(line, `skipped: ${outcome.skipped}`);
    } else {
      if (outcome.spent) spent.push(outcome.spent);
      failures.push({ line, reason: outcome.failed });
      printErr(`${file}:${line}: ${outcome.failed}\n`);
    }
  });
  for (const entry of done.values()) dataset.setLineText(entry.line - 1, entry.text);
  await atomicWrite(run.output, dataset.chunks());
  if (failures.length === 0) await journal.remove();
  else await journal.close();
  const totals = sum(job.zero, [...[...done.values()].map((entry) => entry.counts), ...spent]);
  const summary = {
    output: run.output,
    selected: lines.length,
    [job.done]: done.size,
    resumed: journal.done.size,
    skipped: skipped(),
    skipReasons: Object.fromEntries(skips),
    failed: failures.length,
    failures,
    ...totals,
    elapsedMs: Math.round(performance.now() - started),
  };
  if (run.json) printOut(`${JSON.stringify(summary)}\n`);
  else {
    const resumed = summary.resumed > 0 ? ` (${summary.resumed} by an earlier run)` : '';
    const reasons = [...skips].map(([reason, count]) => `${reason}: ${count}`).join(', ');
    const skippedText = summary.skipped > 0 ? `, ${summary.skipped} skipped (${reasons})` : '';
    printOut(
      `${file}: ${summary.selected} records selected (${run.selection}), ${done.size} ${job.done}${resumed}${skippedText}, ${summary.failed} failed; ` +
        `${job.describeTotals(totals)}, ${(summary.elapsedMs / 1000).toFixed(1)} s\n` +
        `wrote ${run.output}\n` +
        (failures.length > 0 ? `${journal.file} keeps the finished records; run the same command again to retry the failed ones\n` : ''),
    );
  }
  return failures.length > 0 ? 1 : 0;
}
