import type { Backend } from '../backends/types';
import type { ParsedRecord } from '../dataset/record';
import type { FinishReason, TokenEvent } from '../protocol';
import type { Scorer, SegmentCandidate } from './scorers/types';
import { glueAfter, type ReplyTarget, responseOf, segmentCandidateText, segmentRequest } from './segmentPrompt';

export interface BeamOptions {
  /** Candidates decoded together per segment. */
  candidates: number;
  seed: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  /** Go on after this segment, stage by stage, each from the winner before it ("regenerate the rest"). */
  rest: boolean;
}

/** LLaVA-CoT's sampling for stage candidates. */
export const DEFAULT_BEAM: Omit<BeamOptions, 'seed'> = { candidates: 4, temperature: 0.6, topP: 0.9, maxTokens: 512, rest: false };

export interface BeamCandidate {
  text: string;
  score: number | undefined;
  /** 0 is the best. */
  rank: number;
  finishReason: FinishReason;
  logprob: number;
}

export interface BeamStage {
  segment: number;
  label: string;
  /** The response before the segment that the candidates continue. */
  prefix: string;
  candidates: BeamCandidate[];
  /** Candidates that could not stand for the segment, with why. */
  dropped: Array<{ text: string; reason: string }>;
  /** Index into `candidates` of the winner; undefined when every candidate was dropped. */
  chosen: number | undefined;
  judgeCalls: number;
  notes: string[];
  seed: number;
  /** The model that generated the candidates, as the backend names it. */
  model: string;
  /** How many of the prompt's images the model saw; undefined when the backend does not say. */
  imagesSeen: number | undefined;
}

export interface BeamResult {
  stages: BeamStage[];
  backend: string;
  model: string;
  scorer: string;
  tokensComputed: number;
  generateMs: number;
}

export interface BeamHooks {
  signal?: AbortSignal;
  /** Decoded text as it arrives, per stage and candidate. */
  onToken?: (segment: number, event: TokenEvent) => void;
  /** The candidates of a segment that kept their end are being ranked. */
  onRanking?: (segment: number, candidates: string[]) => void;
  /** A stage is decided; its candidates can be shown. */
  onStage?: (stage: BeamStage) => void;
}

/**
 * Stage-level beam search (LLaVA-CoT): N candidates for a segment decoded as one batch from the accepted
 * prefix, each stopped at the segment's end; those without their end are dropped with the reason; the rest
 * ranked by the scorer (knockout judge, rewards, log-probability). With `rest`, the next segment continues
 * from the winner, joined by the record's own text between the two segments (closing tag, blank line, next
 * opening tag or header).
 */
export async function beamSearch(
  backend: Backend,
  scorer: Scorer,
  judge: Backend,
  record: ParsedRecord,
  reply: ReplyTarget,
  first: number,
  options: BeamOptions,
  hooks: BeamHooks = {},
): Promise<BeamResult> {
  const response = responseOf(record, reply);
  const last = options.rest ? response.segments.length - 1 : first;
  const stages: BeamStage[] = [];
  let prefix = response.text.slice(0, response.segments[first]?.span[0] ?? 0);
  let tokensComputed = 0;
  let generateMs = 0;
  let model = backend.name;
  for (let index = first; index <= last; index++) {
    if (hooks.signal?.aborted) break;
    const seed = options.seed + 100 * (index - first);
    const { request, boundary, segment } = segmentRequest(record, reply, index, prefix);
    const result = await backend.generate(
      {
        ...request,
        sampling: { ...request.sampling, n: options.candidates, seed, temperature: options.temperature, topP: options.topP, maxTokens: options.maxTokens },
      },
      { ...(hooks.signal ? { signal: hooks.signal } : {}), onToken: (event) => hooks.onToken?.(index, event) },
    );
    tokensComputed += result.tokensComputed;
    generateMs += result.timing.generateMs;
    model = result.model;
    const kept: SegmentCandidate[] = [];
    const dropped: BeamStage['dropped'] = [];
    for (const candidate of result.candidates) {
      const checked = segmentCandidateText(candidate, boundary);
      if ('text' in checked) kept.push({ text: checked.text, candidate });
      else dropped.push({ text: candidate.text, reason: checked.reason });
    }
    if (kept.length > 0)
      hooks.onRanking?.(
        index,
        kept.map((entry) => entry.text),
      );
    // A single candidate is still scored, so every alternative carries a score.
    const ranking =
      kept.length > 0
        ? await scorer.rank(kept, { record, segment, prefix, judge, seed, ...(hooks.signal ? { signal: hooks.signal } : {}) })
        : { order: [], scores: [], judgeCalls: 0, notes: [] };
    const rankOf = new Map(ranking.order.map((candidate, rank) => [candidate, rank]));
    const stage: BeamStage = {
      segment: index,
      label: segment.label,
      prefix,
      candidates: kept.map((entry, i) => ({
        text: entry.text,
        score: ranking.scores[i],
        rank: rankOf.get(i) ?? i,
        finishReason: entry.candidate.finishReason,
        logprob: entry.candidate.logprob,
      })),
      dropped,
      chosen: ranking.order[0],
      judgeCalls: ranking.judgeCalls,
      notes: ranking.notes,
      seed,
      model: result.model,
      imagesSeen: result.imagesSeen,
    };
    stages.push(stage);
    hooks.onStage?.(stage);
    const winner = stage.chosen === undefined ? undefined : stage.candidates[stage.chosen];
    if (!winner) break;
    prefix += winner.text + glueAfter(response, index);
  }
  return { stages, backend: backend.name, model, scorer: scorer.name, tokensComputed, generateMs };
}
