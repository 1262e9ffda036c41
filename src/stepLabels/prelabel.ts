import { z } from 'zod';
import type { Backend } from '../backends/types';
import { type Annotations, type LabelValue, segmentRating } from '../dataset/annotations';
import type { ParsedRecord } from '../dataset/record';
import { type Reply, replyKey } from '../dataset/replies';
import { JudgeTemplates, type RewardModelAccess, type ScoringContext, type TemplateOverrides } from '../search/scorers';
import { RewardModelScorer } from '../search/scorers/rewardModel';
import { judgeStep } from '../search/scorers/stepJudge';
import { type ReplyTarget, responseOf } from '../search/segmentPrompt';

/** Who suggests the labels: the step judge (the generation backend asked per step) or a process reward model. */
export const labellerKindSchema = z.enum(['step-judge', 'reward-model']);
export type LabellerKind = z.infer<typeof labellerKindSchema>;

/** One step's suggestion, or `label` undefined when the labeller gave no verdict. */
export interface StepSuggestion {
  label: LabelValue | undefined;
  confidence?: number;
  calls: number;
}

/** Gives a step a suggested label from the response before it (the context's prefix). */
export interface StepLabeller {
  /** As provenance names it: the backend, the model and the method (`step-judge`, `reward-model`). */
  readonly provenance: { backend?: string; model?: string; method: LabellerKind };
  label(step: string, context: ScoringContext): Promise<StepSuggestion>;
}

/** The step judge: asks the backend whether each step is correct, neutral or incorrect (the judge prompt of `cotStudio.judge.templates`). */
export function judgeLabeller(judge: Backend, overrides: TemplateOverrides = {}): StepLabeller {
  const templates = new JudgeTemplates(overrides);
  return {
    provenance: { backend: judge.name, method: 'step-judge' },
    async label(step, context) {
      const { rating, calls, confidence } = await judgeStep(templates, context, step);
      return { label: rating ?? undefined, calls, ...(confidence === undefined ? {} : { confidence }) };
    },
  };
}

/**
 * A process reward model (Math-Shepherd's reading of P(good) against P(bad) after a step tag): +1 from a score of
 * 0.5 up, else -1 (a PRM has no neutral), its confidence the probability of the side it chose.
 */
export function rewardModelLabeller(access: RewardModelAccess): StepLabeller {
  const scorer = new RewardModelScorer(access.name, access.nextToken, access.format);
  return {
    provenance: { model: access.name, method: 'reward-model' },
    async label(step, context) {
      const good = await scorer.stepScore(step, context);
      return good >= 0.5 ? { label: 1, confidence: good, calls: 1 } : { label: -1, confidence: 1 - good, calls: 1 };
    },
  };
}

export interface PrelabelResult {
  /** Steps with a suggestion, in order. */
  steps: Array<{ index: number; label: LabelValue; confidence?: number }>;
  /** Steps the labeller gave no verdict for (after its retry). */
  missing: number[];
  /** Calls made to the judge or reward model. */
  calls: number;
  labeller: StepLabeller['provenance'];
}

/**
 * Suggested labels for every step of a reply: each step is shown with the response before it, as PRM800K's
 * labellers and a PRM see it. The judge is the `judge` backend (the one the step judge asks); the record's images
 * go with every call. Stops between steps when `signal` aborts.
 */
export async function prelabelSteps(
  labeller: StepLabeller,
  record: ParsedRecord,
  reply: ReplyTarget,
  judge: Backend,
  options: { seed?: number; signal?: AbortSignal } = {},
): Promise<PrelabelResult> {
  const response = responseOf(record, reply);
  if (response.segments.length === 0) throw new Error('the response has no steps');
  const result: PrelabelResult = { steps: [], missing: [], calls: 0, labeller: labeller.provenance };
  for (const [index, segment] of response.segments.entries()) {
    options.signal?.throwIfAborted();
    const context: ScoringContext = {
      record,
      segment,
      prefix: response.text.slice(0, segment.span[0]),
      judge,
      seed: options.seed ?? 0,
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const suggestion = await labeller.label(segment.text.trim(), context);
    result.calls += suggestion.calls;
    if (suggestion.label === undefined) result.missing.push(index);
    else result.steps.push({ index, label: suggestion.label, ...(suggestion.confidence === undefined ? {} : { confidence: suggestion.confidence }) });
  }
  return result;
}

/** The `setPrelabels` operation's arguments for a result (without the target). */
export function prelabelOperation(result: PrelabelResult): {
  steps: Array<{ segment: number; label: LabelValue; confidence?: number }>;
  provenance: PrelabelResult['labeller'];
} {
  return {
    steps: result.steps.map(({ index, label, confidence }) => ({ segment: index, label, ...(confidence === undefined ? {} : { confidence }) })),
    provenance: result.labeller,
  };
}

/** Whether a reply has a step with neither a rating (the annotator's or the record's own label) nor a suggestion. */
export function hasUnlabelledStep(annotations: Annotations, reply: Reply): boolean {
  return reply.response.segments.some((segment, index) => {
    const annotation = annotations.segments[replyKey(reply, index)];
    return segmentRating(annotation, segment) === null && annotation?.prelabel === undefined;
  });
}
