import type { Backend } from '../../backends/types';
import type { ParsedRecord, Segment } from '../../dataset/record';
import type { Candidate } from '../../protocol';

/** One candidate for a segment, as the scorers see it. */
export interface SegmentCandidate {
  /** The text the segment would hold. */
  text: string;
  candidate: Candidate;
}

/** What a scorer knows about the segment being regenerated. */
export interface ScoringContext {
  record: ParsedRecord;
  segment: Segment;
  /** The response before the segment (accepted segments and tags), as the candidates continued it. */
  prefix: string;
  /** The backend judges ask; the same one that generated, unless a setting names another. */
  judge: Backend;
  seed: number;
  signal?: AbortSignal;
}

/** Candidates best first, with the numbers behind the order and what happened on the way. */
export interface Ranking {
  order: number[];
  /** Per candidate (same index as the input); higher is better; undefined when the scorer gives none. */
  scores: Array<number | undefined>;
  judgeCalls: number;
  /** Unparseable verdicts, retries and fallbacks, for the provenance and the log. */
  notes: string[];
}

export interface Scorer {
  /** Names the scorer in provenance: `knockout-judge`, `logprob`, `reward:accuracy-discrete`. */
  readonly name: string;
  rank(candidates: readonly SegmentCandidate[], context: ScoringContext): Promise<Ranking>;
}

/** Orders candidates by score, best first; ties keep the generation order. */
export function byScore(scores: ReadonlyArray<number | undefined>): number[] {
  return scores
    .map((score, index) => ({ score: score ?? -Infinity, index }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map(({ index }) => index);
}
