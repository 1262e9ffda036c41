import type { Backend } from '../backends/types';
import { DEFAULT_REFLECTION_PHRASE } from '../dataset/annotations';
import type { ImageResolver } from '../dataset/images';
import { applyOperation, readRecordState, type RecordState } from '../dataset/operations';
import type { FormatId } from '../dataset/record';
import { type BeamOptions, beamSearch } from '../search/beam';
import { alternativesOperation, beamParameters, type RegenerateResult, regenerateResult } from '../search/regeneration';
import type { Scorer } from '../search/scorers';
import type { Side } from '../search/segmentPrompt';

/** What every record of a command-line regeneration shares. */
export interface RegenerationJob {
  backend: Backend;
  scorer: Scorer;
  segment: number;
  side: Side;
  options: Omit<BeamOptions, 'seed'>;
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

const alternativeCount = (state: RecordState): number => Object.values(state.annotations.segments).reduce((sum, segment) => sum + segment.alternatives.length, 0);

/** Beam search for one record's line (1-based `line`); throws when the record cannot be read or prompted. */
export async function regenerateLine(job: RegenerationJob, lineText: string, line: number, seed: number): Promise<RegeneratedLine> {
  const state = readRecordState(lineText, job.format);
  // Records name images relative to the dataset's folder, not to where the command runs.
  const images = state.parsed.images.map((image) => {
    const located = job.images.locate(image);
    if ('problem' in located) throw new Error(located.problem);
    return 'file' in located ? located.file : located.inline;
  });
  const beam = await beamSearch(job.backend, job.scorer, job.backend, { ...state.parsed, images }, job.side, job.segment, { ...job.options, seed });
  const at = new Date().toISOString();
  const parameters = beamParameters(job.options, job.scorer.name);
  const context = { at, reflectionPhrase: DEFAULT_REFLECTION_PHRASE, ...(job.format ? { format: job.format } : {}) };
  let text = lineText;
  for (const stage of beam.stages) {
    const operation = alternativesOperation(stage, line, job.side, beam.backend, parameters, at);
    if (operation) text = applyOperation(text, operation, context).text;
  }
  // Candidates the segment already had as alternatives are not added twice.
  const added = alternativeCount(readRecordState(text, job.format)) - alternativeCount(state);
  return { result: regenerateResult(beam, seed, parameters, at), text, added };
}

/** Why a regeneration gave the segment nothing to choose from, or undefined when it did. */
export function failureOf(result: RegenerateResult): string | undefined {
  if (result.candidates.length > 0) return undefined;
  const reasons = [...new Set(result.dropped.map((entry) => entry.reason))];
  return reasons.length === 0 ? 'no candidates' : `every candidate was dropped (${reasons.join('; ')})`;
}
