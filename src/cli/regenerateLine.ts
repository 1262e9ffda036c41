import { z } from 'zod';
import { applyOperation, readRecordState, type RecordState } from '../dataset/operations';
import type { RegenerateResult } from '../search/regeneration';
import { type RegenerationJob as RunnerJob, runRegeneration } from '../search/runner';
import type { BatchJob } from './batchRun';
import { modelReply, type ReplyChoice } from './modelReply';

/** What every record of a command-line regeneration shares: the runner's job less the record and its seed. */
export interface RegenerationJob extends Omit<RunnerJob, 'record' | 'imageNames' | 'reply' | 'line' | 'seed'>, ReplyChoice {}

export interface RegeneratedLine {
  result: RegenerateResult;
  /** The line with every stage's candidates added as alternatives, as `--write` or `--all` store it. */
  text: string;
  /** Alternatives the line gained over all stages. */
  added: number;
}

const alternativeCount = (state: RecordState): number =>
  Object.values(state.annotations.segments).reduce((sum, segment) => sum + segment.alternatives.length, 0);

/** Beam or tree search for one record's line (1-based `line`); throws when the record cannot be read or prompted. */
export async function regenerateLine(job: RegenerationJob, lineText: string, line: number, seed: number): Promise<RegeneratedLine> {
  const { state, record, side, turn } = modelReply(lineText, job);
  const { result, operations } = await runRegeneration({ ...job, record, imageNames: state.parsed.images, reply: { side, turn }, line, seed });
  const context = { at: new Date().toISOString(), reflectionPhrase: job.mcts.reflectionPhrase, ...(job.format ? { format: job.format } : {}) };
  let text = lineText;
  for (const operation of operations) text = applyOperation(text, operation, context).text;
  // Candidates the segment already had as alternatives are not added twice.
  const added = alternativeCount(readRecordState(text, job.format)) - alternativeCount(state);
  return { result, text, added };
}

/** Why a regeneration gave the segment nothing to choose from, or undefined when it did. */
export function failureOf(result: RegenerateResult): string | undefined {
  if (result.candidates.length > 0) return undefined;
  const reasons = [...new Set(result.dropped.map((entry) => entry.reason))];
  return reasons.length === 0 ? 'no candidates' : `every candidate was dropped (${reasons.join('; ')})`;
}

const regenerationCounts = z.object({
  /** Alternatives the record gained. */
  candidates: z.number().int().min(0),
  judgeCalls: z.number().int().min(0),
  tokensComputed: z.number().min(0),
});

/** Names `regenerate --all`'s journal and the lock on its output. */
export const REGENERATE_ALL = 'cot-studio regenerate --all';

/** `regenerate --all`'s work on each record: its candidates added as alternatives; none kept is a failure. */
export function regenerationBatch(job: RegenerationJob): BatchJob<z.infer<typeof regenerationCounts>> {
  return {
    command: REGENERATE_ALL,
    done: 'regenerated',
    counts: regenerationCounts,
    zero: { candidates: 0, judgeCalls: 0, tokensComputed: 0 },
    async run(lineText, line, seed) {
      const { result, text, added } = await regenerateLine(job, lineText, line, seed);
      const counts = { candidates: added, judgeCalls: result.judgeCalls, tokensComputed: result.tokensComputed };
      const failure = failureOf(result);
      return failure === undefined ? { text, counts } : { failed: failure, spent: counts };
    },
    describe: (counts) => `${counts.candidates} candidates`,
    describeTotals: (totals) => `${totals.candidates} candidates added, ${totals.judgeCalls} judge calls, ${totals.tokensComputed} tokens computed`,
  };
}
