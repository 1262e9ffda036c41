import type { ImageResolver } from '../dataset/images';
import { applyOperation, readRecordState, type RecordState } from '../dataset/operations';
import type { FormatId } from '../dataset/record';
import { resolveReply, type Side } from '../dataset/replies';
import type { RegenerateResult } from '../search/regeneration';
import { type RegenerationJob as RunnerJob, runRegeneration } from '../search/runner';
import { withModelImages } from '../search/segmentPrompt';

/** What every record of a command-line regeneration shares: the runner's job less the record and its seed. */
export interface RegenerationJob extends Omit<RunnerJob, 'record' | 'imageNames' | 'reply' | 'line' | 'seed'> {
  side: Side;
  /** The reply of a conversation (0-based among its assistant turns); undefined: each record's last. */
  turn: number | undefined;
  /** A format the user forced, or undefined to detect it per record. */
  format: FormatId | undefined;
  images: ImageResolver;
}

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
  const state = readRecordState(lineText, job.format);
  // Records name images relative to the dataset's folder, not to where the command runs.
  const record = withModelImages(state.parsed, (images) => job.images.forModel(images));
  const { side, turn } = resolveReply(record, { side: job.side, ...(job.turn === undefined ? {} : { turn: job.turn }) });
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
