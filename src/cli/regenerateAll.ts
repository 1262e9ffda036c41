import * as fs from 'node:fs';
import { z } from 'zod';
import type { Dataset } from '../dataset';
import { atomicWrite } from '../files/atomicWrite';
import { acquireFileLock, type HeldLock } from '../files/fileLock';
import type { CheckContext } from '../dataset/checks';
import { readFacts } from '../dataset/facts';
import { lineSeed } from '../random';
import { failureOf, type RegenerationJob, regenerateLine } from './regenerateLine';
import { type JournalEntry, RegenerationJournal } from './regenerationJournal';
import { printErr, printOut } from './terminal';
import { errorMessage } from '../errors/message';

export const batchFilterSchema = z.enum(['failing', 'unreviewed', 'all']);
export type BatchFilter = z.infer<typeof batchFilterSchema>;

export interface BatchRun {
  /** The input as named on the command line, for messages. */
  file: string;
  dataset: Dataset;
  output: string;
  filter: BatchFilter;
  checks: CheckContext;
  concurrency: number;
  /** `--seed`, or undefined to reuse a journal's or draw one. */
  seed: number | undefined;
  /** Everything else that decides the output, for the journal to compare. */
  settings: Record<string, string | number | boolean>;
  json: boolean;
}

const journalPath = (output: string): string => `${output}.journal`;

/** 1-based lines of the records the filter selects. */
function selectLines(dataset: Dataset, filter: BatchFilter, checks: CheckContext): number[] {
  const lines: number[] = [];
  for (let index = 0; index < dataset.recordCount; index++) {
    const line = dataset.recordLine(index);
    if (filter !== 'all') {
      const { facts } = readFacts(dataset.lineText(line), checks, dataset.invalidUtf8(line));
      if (filter === 'failing' ? facts.checks.length === 0 : facts.review !== 'unreviewed') continue;
    }
    lines.push(line + 1);
  }
  return lines;
}

/** Runs `work` on every item, at most `limit` at a time. */
async function inPool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Locks the output of `regenerate --all` before anything is loaded: a second run into it stops at once rather than interleave. */
export const lockBatchOutput = (output: string): Promise<HeldLock> => acquireFileLock(output, { purpose: 'cot-studio regenerate --all', waitMs: 0 });

/**
 * `regenerate --all`: beam search for every selected record, written with the new alternatives into a copy;
 * lines not selected, or that failed, are copied byte for byte. Finished records are journaled as they
 * finish, so a re-run of the same command after an interruption does only what is left.
 */
export async function regenerateAll(run: BatchRun, job: RegenerationJob): Promise<number> {
  const started = performance.now();
  const { dataset, file } = run;
  const selected = selectLines(dataset, run.filter, run.checks);
  const { size, mtimeMs } = fs.statSync(file);
  const input = { file: fs.realpathSync(file), size, mtimeMs };
  const journal = await RegenerationJournal.open(journalPath(run.output), { input, settings: run.settings }, run.seed, (message) => printErr(`${message}\n`));
  const done = new Map<number, JournalEntry>(journal.done);
  const pending = selected.filter((line) => !done.has(line));
  const failures: Array<{ line: number; reason: string }> = [];
  // Work spent on records that failed still counts in the summary.
  const wasted = { judgeCalls: 0, tokensComputed: 0 };
  await inPool(pending, run.concurrency, async (line) => {
    let reason: string;
    try {
      // Refused before any search: the line could not be written back.
      const refusal = dataset.rewriteRefusal(line - 1);
      if (refusal !== undefined) throw new Error(refusal);
      const { result, text, added } = await regenerateLine(job, dataset.lineText(line - 1), line, lineSeed(journal.seed, line));
      const failure = failureOf(result);
      if (failure === undefined) {
        const entry = { line, text, candidates: added, judgeCalls: result.judgeCalls, tokensComputed: result.tokensComputed };
        await journal.append(entry);
        done.set(line, entry);
        if (!run.json) printErr(`[${done.size + failures.length}/${selected.length}] ${file}:${line}: ${added} candidates\n`);
        return;
      }
      reason = failure;
      wasted.judgeCalls += result.judgeCalls;
      wasted.tokensComputed += result.tokensComputed;
    } catch (error) {
      reason = errorMessage(error);
    }
    failures.push({ line, reason });
    printErr(`${file}:${line}: ${reason}\n`);
  });
  for (const entry of done.values()) dataset.setLineText(entry.line - 1, entry.text);
  await atomicWrite(run.output, dataset.chunks());
  if (failures.length === 0) await journal.remove();
  else await journal.close();
  const entries = [...done.values()];
  const summary = {
    output: run.output,
    selected: selected.length,
    regenerated: entries.length,
    resumed: journal.done.size,
    failed: failures.length,
    failures,
    candidates: entries.reduce((sum, entry) => sum + entry.candidates, 0),
    judgeCalls: entries.reduce((sum, entry) => sum + entry.judgeCalls, wasted.judgeCalls),
    tokensComputed: entries.reduce((sum, entry) => sum + entry.tokensComputed, wasted.tokensComputed),
    elapsedMs: Math.round(performance.now() - started),
  };
  if (run.json) printOut(`${JSON.stringify(summary)}\n`);
  else {
    const resumed = summary.resumed > 0 ? ` (${summary.resumed} by an earlier run)` : '';
    printOut(
      `${file}: ${summary.selected} records selected (--filter ${run.filter}), ${summary.regenerated} regenerated${resumed}, ${summary.failed} failed; ` +
        `${summary.candidates} candidates added, ${summary.judgeCalls} judge calls, ${summary.tokensComputed} tokens computed, ${(summary.elapsedMs / 1000).toFixed(1)} s\n` +
        `wrote ${run.output}\n` +
        (failures.length > 0 ? `${journal.file} keeps the finished records; run the same command again to retry the failed ones\n` : ''),
    );
  }
  return failures.length > 0 ? 1 : 0;
}
