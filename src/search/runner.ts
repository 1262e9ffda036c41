import type { z } from 'zod';
import type { Backend } from '../backends/types';
import { DEFAULT_REFLECTION_PHRASE, imagesProvenance } from '../dataset/annotations';
import type { Operation } from '../dataset/operationSchema';
import type { ParsedRecord } from '../dataset/record';
import { resolveReply } from '../dataset/replies';
import type { TokenEvent } from '../protocol';
import { type BeamOptions, type BeamStage, beamSearch, DEFAULT_BEAM } from './beam';
import { DEFAULT_MCTS, type MctsOptions, mctsSearch } from './mcts/modelSearch';
import type { SearchTree } from './mcts/tree';
import {
  alternativesOperation,
  beamParameters,
  mctsOperations,
  mctsParameters,
  mctsRegenerateResult,
  type RegenerateResult,
  type ResolvedTarget,
  regenerateResult,
  type regenerationSettingsSchema,
} from './regeneration';
import type { JudgeTemplates, Scorer } from './scorers';

/** One regeneration of one record, as the editor and the command line both run it. */
export interface RegenerationJob {
  /** The record with its images as the model is shown them. */
  record: ParsedRecord;
  /** The record's images as it names them (the model gets them as data URIs), for provenance. */
  imageNames: readonly string[];
  reply: ResolvedTarget;
  /** 1-based line of the record, which the edits name. */
  line: number;
  segment: number;
  seed: number;
  method: 'beam' | 'mcts';
  beam: Omit<BeamOptions, 'seed'>;
  mcts: Omit<MctsOptions, 'seed'>;
  /** Writes the candidates; beam search's judge too. */
  backend: Backend;
  /** Ranks beam search's candidates. */
  scorer: Scorer;
  /** Tree search: the models that write chains (Mulberry's collective). */
  policies: readonly Backend[];
  /** Tree search: the step judges and their weights. */
  judges: ReadonlyArray<{ backend: Backend; weight: number }>;
  /** The tree search's step and answer prompts (the beam scorer holds its own). */
  templates: JudgeTemplates;
}

export interface RegenerationHooks {
  signal?: AbortSignal;
  /** Beam search: decoded text as it arrives, per segment and candidate. */
  onToken?: (segment: number, event: TokenEvent) => void;
  /** Beam search: the candidates of a segment that kept their end are being ranked. */
  onRanking?: (segment: number, candidates: string[]) => void;
  /** Beam search: a stage is decided, with the edit that keeps its candidates (none when every one was dropped). */
  onStage?: (stage: BeamStage, operation: Operation | undefined) => void;
  /** Tree search: after every round, the tree as it stands. */
  onRound?: (tree: SearchTree, iterations: number) => void;
}

export interface Regeneration {
  result: RegenerateResult;
  /** The edits that keep what the run found; none when it was cancelled. */
  operations: Operation[];
}

type SearchSettings = Pick<
  z.output<typeof regenerationSettingsSchema>,
  'candidates' | 'iterations' | 'samples' | 'rest' | 'temperature' | 'topP' | 'maxTokens'
>;

/** What a front end keeps between runs (the editor's settings; the command line's flags beyond the run's own). */
export interface ConfiguredSearch {
  beam?: Partial<Omit<BeamOptions, 'seed' | 'rest'>>;
  mcts?: Partial<Omit<MctsOptions, 'seed'>>;
}

/**
 * The search options of a run: what the run asks for, then what is configured, then the methods' defaults
 * (LLaVA-CoT's sampling for beam search, Mulberry's for the tree search).
 */
export function searchOptions(run: SearchSettings, configured: ConfiguredSearch = {}): Pick<RegenerationJob, 'beam' | 'mcts'> {
  const beam = { ...DEFAULT_BEAM, ...defined(configured.beam ?? {}) };
  const mcts = { ...DEFAULT_MCTS, reflectionPhrase: DEFAULT_REFLECTION_PHRASE, ...defined(configured.mcts ?? {}) };
  return {
    beam: {
      candidates: run.candidates ?? beam.candidates,
      temperature: run.temperature ?? beam.temperature,
      topP: run.topP ?? beam.topP,
      maxTokens: run.maxTokens ?? beam.maxTokens,
      rest: run.rest,
    },
    mcts: {
      ...mcts,
      iterations: run.iterations ?? mcts.iterations,
      samples: run.samples ?? mcts.samples,
      temperature: run.temperature ?? mcts.temperature,
      topP: run.topP ?? mcts.topP,
      maxTokens: run.maxTokens ?? mcts.maxTokens,
      candidates: run.candidates ?? mcts.candidates,
    },
  };
}

/** The entries that have a value: an unset setting leaves the default in place. */
function defined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * Runs stage-level beam search or the tree search on one segment and turns what it found into the record's
 * edits, with the same provenance wherever it runs. A stage or search cut short by a cancel gives no edit.
 */
export async function runRegeneration(job: RegenerationJob, hooks: RegenerationHooks = {}): Promise<Regeneration> {
  const { signal } = hooks;
  const at = new Date().toISOString();
  if (job.method === 'mcts') {
    const options = { ...job.mcts, seed: job.seed };
    const judges = job.judges.map((judge) => ({ ...judge, templates: job.templates }));
    const found = await mctsSearch(job.policies, judges, job.record, job.reply, job.segment, options, {
      ...(signal ? { signal } : {}),
      ...(hooks.onRound ? { onRound: hooks.onRound } : {}),
    });
    const label = resolveReply(job.record, job.reply).response.segments[job.segment]?.label ?? '';
    const parameters = { ...mctsParameters(options, judges.length), ...imagesProvenance(job.imageNames, found.imagesSeen) };
    const result = mctsRegenerateResult(found, { index: job.segment, label }, job.backend.name, job.seed, parameters, at);
    return { result, operations: signal?.aborted ? [] : mctsOperations(result, job.line, job.segment, job.reply) };
  }
  // Read when a stage is decided: a server's grammar is known after its first constrained request.
  const parameters = (stage: BeamStage | undefined) => ({
    ...beamParameters(job.beam, job.scorer.name, job.backend),
    ...imagesProvenance(job.imageNames, stage?.imagesSeen),
  });
  const operations: Operation[] = [];
  const beam = await beamSearch(
    job.backend,
    job.scorer,
    job.backend,
    job.record,
    job.reply,
    job.segment,
    { ...job.beam, seed: job.seed },
    {
      ...(signal ? { signal } : {}),
      ...(hooks.onToken ? { onToken: hooks.onToken } : {}),
      ...(hooks.onRanking ? { onRanking: hooks.onRanking } : {}),
      onStage: (stage) => {
        if (signal?.aborted) return;
        const operation = alternativesOperation(stage, job.line, job.reply, job.backend.name, parameters(stage), at);
        if (operation) operations.push(operation);
        hooks.onStage?.(stage, operation);
      },
    },
  );
  return { result: regenerateResult(beam, job.seed, parameters(beam.stages[0]), at), operations };
}
