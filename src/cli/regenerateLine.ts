import type { Backend } from '../backends/types';
import type { ImageResolver } from '../dataset/images';
import { applyOperation, readRecordState, type RecordState } from '../dataset/operations';
import type { FormatId } from '../dataset/record';
import type { Operation } from '../protocol';
import { type BeamOptions, beamSearch } from '../search/beam';
import { type MctsOptions, mctsSearch } from '../search/mcts/modelSearch';
import {
  alternativesOperation,
  beamParameters,
  mctsOperations,
  mctsParameters,
  mctsRegenerateResult,
  type RegenerateResult,
  regenerateResult,
} from '../search/regeneration';
import { JudgeTemplates, type Scorer } from '../search/scorers';
import { type Side, withModelImages } from '../search/segmentPrompt';
import { resolveReply } from '../dataset/replies';

/** What every record of a command-line regeneration shares. */
export interface RegenerationJob {
  backend: Backend;
  scorer: Scorer;
  segment: number;
  side: Side;
  /** The reply of a conversation (0-based among its assistant turns); undefined: each record's last. */
  turn: number | undefined;
  options: Omit<BeamOptions, 'seed'>;
  /** Stage-level beam search, or the tree search with its options. */
  method: 'beam' | 'mcts';
  mcts: Omit<MctsOptions, 'seed'>;
  /** The tree search's step judges and their weights; none: the generating backend judges. */
  judges: Array<{ backend: Backend; weight: number }>;
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
  const parsed = withModelImages(state.parsed, (images) => job.images.forModel(images));
  const { side, turn, response } = resolveReply(parsed, { side: job.side, ...(job.turn === undefined ? {} : { turn: job.turn }) });
  const reply = { side, turn };
  const at = new Date().toISOString();
  const context = { at, reflectionPhrase: job.mcts.reflectionPhrase, ...(job.format ? { format: job.format } : {}) };
  let result: RegenerateResult;
  let operations: Operation[];
  if (job.method === 'mcts') {
    const options = { ...job.mcts, seed };
    // The model that writes the chains judges their steps too, unless judges are given.
    const templates = new JudgeTemplates();
    const judges = (job.judges.length > 0 ? job.judges : [{ backend: job.backend, weight: 1 }]).map((judge) => ({ ...judge, templates }));
    const found = await mctsSearch([job.backend], judges, parsed, reply, job.segment, options);
    const segment = response.segments[job.segment];
    result = mctsRegenerateResult(
      found,
      { index: job.segment, label: segment?.label ?? '' },
      job.backend.name,
      seed,
      mctsParameters(options, judges.length),
      at,
    );
    operations = mctsOperations(result, line, job.segment, reply);
  } else {
    const beam = await beamSearch(job.backend, job.scorer, job.backend, parsed, reply, job.segment, { ...job.options, seed });
    const parameters = beamParameters(job.options, job.scorer.name, job.backend);
    result = regenerateResult(beam, seed, parameters, at);
    operations = beam.stages
      .map((stage) => alternativesOperation(stage, line, reply, beam.backend, parameters, at))
      .filter((operation) => operation !== undefined);
  }
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
