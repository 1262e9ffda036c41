import { z } from 'zod';
import type { Provenance } from '../dataset/annotations';
import type { Operation } from '../protocol/operations';
import type { BeamOptions, BeamResult, BeamStage } from './beam';
import { rankingSchema } from './scorers';
import type { Side } from './segmentPrompt';

/** What a regeneration asks for, wherever it is asked from (the editor command, the command line). */
export const beamSettingsSchema = z.object({
  segment: z.number().int().min(0),
  side: z.enum(['primary', 'rejected']).default('primary'),
  method: z.literal('beam').default('beam'),
  candidates: z.number().int().min(1).max(16).optional(),
  seed: z.number().int().min(0).max(2 ** 31).optional(),
  /** Regenerate this segment and every later one, each from the winner before it. */
  rest: z.boolean().default(false),
  rank: rankingSchema.optional(),
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().gt(0).max(1).optional(),
  maxTokens: z.number().int().min(1).max(8192).optional(),
});

/** The sampling settings recorded in every candidate's provenance. */
export type BeamParameters = Record<string, number | string | boolean>;

export function beamParameters(options: Pick<BeamOptions, 'candidates' | 'temperature' | 'topP' | 'maxTokens'>, scorer: string): BeamParameters {
  return { candidates: options.candidates, temperature: options.temperature, topP: options.topP, maxTokens: options.maxTokens, scorer };
}

/** What a regeneration returns: the first stage's candidates best first, and every stage for `rest`. */
export interface RegenerateResult {
  candidates: Array<{ text: string; score: number | undefined; finishReason: string; provenance: Provenance }>;
  chosen: number | undefined;
  judgeCalls: number;
  dropped: Array<{ text: string; reason: string }>;
  notes: string[];
  provenance: { backend: string; model: string; method: 'beam'; scorer: string; seed: number; parameters: BeamParameters };
  stages: Array<{ segment: number; label: string; candidates: number; chosen: number | undefined; dropped: number; judgeCalls: number }>;
  tokensComputed: number;
}

/** Candidates of a stage as alternatives, best first, each saying where it came from. */
export function alternativesOf(stage: BeamStage, backend: string, parameters: BeamParameters, at: string): RegenerateResult['candidates'] {
  return [...stage.candidates]
    .sort((a, b) => a.rank - b.rank)
    .map((candidate) => ({
      text: candidate.text,
      score: candidate.score,
      finishReason: candidate.finishReason,
      provenance: {
        source: 'model' as const,
        backend,
        model: stage.model,
        method: 'beam',
        // Unparseable verdicts, retries and fallbacks stay with the candidates they decided.
        parameters: { ...parameters, rank: candidate.rank + 1, ...(stage.notes.length > 0 ? { judgeNotes: stage.notes.join('; ') } : {}) },
        seed: stage.seed,
        ...(candidate.score === undefined ? {} : { score: candidate.score }),
        createdAt: at,
      },
    }));
}

/** The edit that keeps a stage's candidates beside its segment; undefined when every candidate was dropped. */
export function alternativesOperation(stage: BeamStage, line: number, side: Side, backend: string, parameters: BeamParameters, at: string): Operation | undefined {
  if (stage.candidates.length === 0) return undefined;
  const alternatives = alternativesOf(stage, backend, parameters, at).map(({ text, provenance }) => ({ text, provenance }));
  return { kind: 'addAlternatives', line, segment: stage.segment, side, alternatives };
}

export function regenerateResult(result: BeamResult, seed: number, parameters: BeamParameters, at: string): RegenerateResult {
  const first = result.stages[0];
  return {
    candidates: first ? alternativesOf(first, result.backend, parameters, at) : [],
    chosen: first?.chosen === undefined ? undefined : 0,
    judgeCalls: result.stages.reduce((sum, stage) => sum + stage.judgeCalls, 0),
    dropped: first?.dropped ?? [],
    notes: result.stages.flatMap((stage) => stage.notes),
    provenance: { backend: result.backend, model: result.model, method: 'beam', scorer: result.scorer, seed, parameters },
    stages: result.stages.map(({ segment, label, candidates, chosen, dropped, judgeCalls }) => ({ segment, label, candidates: candidates.length, chosen, dropped: dropped.length, judgeCalls })),
    tokensComputed: result.tokensComputed,
  };
}
