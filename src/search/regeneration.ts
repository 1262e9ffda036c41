import { z } from 'zod';
import { seedSchema } from '../random';
import type { Backend } from '../backends/types';
import type { Provenance } from '../dataset/annotations';
import type { Operation } from '../dataset/operationSchema';
import type { BeamOptions, BeamResult, BeamStage } from './beam';
import type { MctsOptions, MctsReflection, MctsSearchResult, SiblingPair } from './mcts/modelSearch';
import type { SearchTree } from './mcts/tree';
import { rankingSchema } from './scorers';
import { sideSchema } from '../dataset/annotations';
import { type Side, storedReply } from '../dataset/replies';

/** A reply as a regeneration's edits name it: its side and its turn, resolved (a default turn would move if turns were added). */
export interface ResolvedTarget {
  side: Side;
  turn: number;
}

/** What a regeneration asks for, wherever it is asked from (the editor command, the command line). */
export const regenerationSettingsSchema = z.object({
  segment: z.number().int().min(0),
  side: sideSchema.default('primary'),
  /** The reply of a conversation, 0-based among its assistant turns; left out, the last one. */
  turn: z.number().int().min(0).optional(),
  /** Stage-level beam search (LLaVA-CoT) or collective tree search (Mulberry's CoMCTS). */
  method: z.enum(['beam', 'mcts']).default('beam'),
  /** Beam: candidates decoded together. Tree search: candidates taken from the best leaves. */
  candidates: z.number().int().min(1).max(16).optional(),
  /** Tree search: the budget, one iteration per continuation written. */
  iterations: z.number().int().min(1).max(200).optional(),
  /** Tree search: continuations written per expansion (the collective's K samples). */
  samples: z.number().int().min(1).max(16).optional(),
  seed: seedSchema.optional(),
  /** Regenerate this segment and every later one, each from the winner before it. */
  rest: z.boolean().default(false),
  rank: rankingSchema.optional(),
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().gt(0).max(1).optional(),
  maxTokens: z.number().int().min(1).max(8192).optional(),
});

/** One record's regeneration, as the editor asks for it: the record's 1-based line and the settings above. */
export const regenerationRunSchema = regenerationSettingsSchema.extend({ line: z.number().int().min(1) });
export type RegenerationRun = z.input<typeof regenerationRunSchema>;

/** The sampling settings recorded in every candidate's provenance. */
export type BeamParameters = Record<string, number | string | boolean>;
export type SearchParameters = BeamParameters;

export function beamParameters(
  options: Pick<BeamOptions, 'candidates' | 'temperature' | 'topP' | 'maxTokens'>,
  scorer: string,
  backend: Pick<Backend, 'grammar'>,
): BeamParameters {
  return {
    candidates: options.candidates,
    temperature: options.temperature,
    topP: options.topP,
    maxTokens: options.maxTokens,
    scorer,
    grammar: backend.grammar ?? 'checked after sampling',
  };
}

/** A node of the search tree as the view and `--json` show it. */
export interface TreeNodeSummary {
  id: number;
  parent: number | null;
  text: string;
  visits: number;
  value: number;
  /** The weighted mean of the judges' ratings of the step. */
  score: number;
  /** Each judge's rating (+1 / 0 / -1), null where it gave none. */
  scores: Array<number | null>;
  terminal: boolean;
  correct: boolean | null;
}

/** What the tree search adds to a regeneration's result. */
export interface SearchTreeResult {
  tree: { nodes: TreeNodeSummary[] };
  /** Node ids from the root to the best leaf. */
  bestPath: number[];
  iterations: number;
  /** A chain's final answer matched the ground truth. */
  solved: boolean;
  /** Reflection proposals from siblings: the response text from the segment on, to accept or edit. */
  reflections: MctsReflection[];
  /** Generated tokens that ended up in the tree. */
  tokensKept: number;
  /** Step-level pairs at the segment from siblings: the best candidate against ones the judges cut. */
  pairs: SiblingPair[];
}

/** What a regeneration returns: the first stage's candidates best first, and every stage for `rest`. */
export interface RegenerateResult extends Partial<SearchTreeResult> {
  candidates: Array<{ text: string; score: number | undefined; finishReason: string; provenance: Provenance }>;
  chosen: number | undefined;
  judgeCalls: number;
  dropped: Array<{ text: string; reason: string }>;
  notes: string[];
  provenance: { backend: string; model: string; method: 'beam' | 'mcts'; scorer: string; seed: number; parameters: SearchParameters };
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
export function alternativesOperation(
  stage: BeamStage,
  line: number,
  reply: ResolvedTarget,
  backend: string,
  parameters: BeamParameters,
  at: string,
): Operation | undefined {
  if (stage.candidates.length === 0) return undefined;
  const alternatives = alternativesOf(stage, backend, parameters, at).map(({ text, provenance }) => ({ text, provenance }));
  return { kind: 'addAlternatives', line, segment: stage.segment, ...reply, alternatives };
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
    stages: result.stages.map(({ segment, label, candidates, chosen, dropped, judgeCalls }) => ({
      segment,
      label,
      candidates: candidates.length,
      chosen,
      dropped: dropped.length,
      judgeCalls,
    })),
    tokensComputed: result.tokensComputed,
  };
}

export function mctsParameters(options: MctsOptions, judges: number): SearchParameters {
  const { iterations, c, threshold, samples, temperature, topP, maxTokens } = options;
  return { iterations, c, threshold, samples, temperature, topP, maxTokens, judges };
}

/** The tree search's result as a regeneration's: candidates from the best leaves, the tree, the best path. */
export function mctsRegenerateResult(
  found: MctsSearchResult,
  segment: { index: number; label: string },
  backend: string,
  seed: number,
  parameters: SearchParameters,
  at: string,
): RegenerateResult {
  const { search } = found;
  const candidates = found.candidates.map((candidate, rank) => ({
    text: candidate.text,
    score: candidate.score,
    finishReason: candidate.correct === undefined ? 'leaf' : candidate.correct ? 'correct' : 'wrong',
    provenance: {
      source: 'model' as const,
      backend,
      model: found.model,
      method: 'mcts',
      parameters: {
        ...parameters,
        rank: rank + 1,
        node: candidate.node,
        leaf: candidate.leaf,
        ...(candidate.correct === undefined ? {} : { correct: candidate.correct }),
      },
      seed,
      score: candidate.score,
      createdAt: at,
    },
  }));
  return {
    candidates,
    chosen: candidates.length > 0 ? 0 : undefined,
    judgeCalls: found.judgeCalls,
    dropped: [],
    notes: found.notes,
    provenance: { backend, model: found.model, method: 'mcts', scorer: 'step-judge', seed, parameters },
    stages: [
      {
        segment: segment.index,
        label: segment.label,
        candidates: candidates.length,
        chosen: candidates.length > 0 ? 0 : undefined,
        dropped: 0,
        judgeCalls: found.judgeCalls,
      },
    ],
    tokensComputed: found.tokensComputed,
    tree: { nodes: summarizeTree(search.tree, found.ratings) },
    bestPath: search.bestPath,
    iterations: search.iterations,
    solved: search.solved,
    reflections: found.reflections,
    tokensKept: found.tokensKept,
    pairs: found.siblingPairs,
  };
}

/** The tree's nodes as the view and `--json` show them; `ratings` per node, when the judges' verdicts are known. */
export function summarizeTree(tree: SearchTree, ratings: ReadonlyArray<Array<number | null>> = []): TreeNodeSummary[] {
  return tree.nodes.map(({ id, parent, text, visits, value, score, terminal, correct }) => ({
    id,
    parent,
    text,
    visits,
    value,
    score,
    scores: ratings[id] ?? [],
    terminal,
    correct: correct ?? null,
  }));
}

/**
 * The edits a tree search makes: its candidates beside the segment, and its sibling pairs as the segment's
 * preference pairs (primary side only: pairs are positions in a reply of the record's own).
 */
export function mctsOperations(result: RegenerateResult, line: number, segment: number, reply: ResolvedTarget): Operation[] {
  if (result.candidates.length === 0) return [];
  const operations: Operation[] = [
    { kind: 'addAlternatives', line, segment, ...reply, alternatives: result.candidates.map(({ text, provenance }) => ({ text, provenance })) },
  ];
  const pairs = reply.side === 'primary' ? (result.pairs ?? []) : [];
  if (pairs.length > 0) {
    const { backend, model, seed, parameters } = result.provenance;
    const provenance = { source: 'model' as const, backend, model, method: 'mcts', seed, parameters };
    operations.push({
      kind: 'addPreferencePairs',
      line,
      pairs: pairs.map(({ chosen, rejected }) => ({
        level: 'segment',
        position: segment,
        ...storedReply(reply),
        chosen,
        rejected,
        origin: 'mcts-sibling',
        provenance,
      })),
    });
  }
  return operations;
}
