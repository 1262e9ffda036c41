import { segmentRating, type Alternative, type Rating, type SegmentAnnotation } from '../dataset/annotations';
import type { Segment } from '../dataset/record';
import { annotatedReplies, replyKey, type Reply } from '../dataset/replies';
import {
  type ExportFormat,
  type ExportInput,
  type ExportOptions,
  isRefusal,
  type LabelCounts,
  type LabelOrigin,
  labelOrigins,
  type LabelSource,
  noLabelCounts,
  type Refusal,
} from './types';

export type StepRating = Exclude<Rating, null>;

export interface RatedStep {
  text: string;
  rating: StepRating;
  /** Where the rating came from: a person, the record, a pre-label or a Monte Carlo score. */
  origin: LabelOrigin;
  /** Other versions of the step (regenerated candidates, earlier texts) with their own ratings. */
  alternatives: Alternative[];
}

export interface RatedResponse {
  /** The reply the steps are of: an assistant turn of the record, or the rejected side of a pair. */
  reply: Reply;
  /** Every step of the response, rated or not. */
  allSteps: string[];
  /** The rated steps from the first one on, up to the first step without a rating. */
  steps: RatedStep[];
}

/** A step's Monte Carlo estimate: `correct` of `total` rollouts from the response up to and with the step reached the answer. */
interface StepEstimate {
  score: number;
  /** VisualPRM's `num_mc_correct` / `num_mc_total`; a record may give its score without them. */
  rollouts?: { correct: number; total: number };
}

/** A step of a reply with every label it may be written with. */
interface Step {
  text: string;
  /** The annotator's rating, else the record's own label (null: neither). */
  rating: Rating;
  /** Whether `rating` is the annotator's rather than the record's. */
  ratedByPerson: boolean;
  /** A model's suggested label, confirmed or not. */
  prelabel: StepRating | null;
  /** The rollouts' estimate stored by mc-score, else the record's own (VisualPRM's `score`). */
  estimate: StepEstimate | null;
  alternatives: Alternative[];
}

function stepEstimate(annotation: SegmentAnnotation | undefined, segment: Segment): StepEstimate | null {
  const stored = annotation?.monteCarlo;
  if (stored) return { score: stored.score, rollouts: { correct: stored.correct, total: stored.total } };
  const own = segment.sourceLabel;
  if (own?.score === undefined) return null;
  return own.rollouts ? { score: own.score, rollouts: own.rollouts } : { score: own.score };
}

/**
 * The steps of a reply, each with the annotation its key names (`replyKey`: the first reply's by segment
 * index, a later reply's by `turnN:INDEX`, the rejected side's by `rejected:INDEX`); a step the annotator left
 * unrated keeps the record's own label. A step is a segment's text without the spaces around it (LLaVA-CoT writes
 * `<SUMMARY> text </SUMMARY>`); blank segments (a bare header such as Mulberry's
 * `### Let's think step by step.`) are not steps.
 */
function replySteps(input: ExportInput, reply: Reply): Step[] {
  const steps: Step[] = [];
  for (const [position, segment] of reply.response.segments.entries()) {
    const text = segment.text.trim();
    if (text === '') continue;
    const annotation = input.annotations.segments[replyKey(reply, position)];
    steps.push({
      text,
      rating: segmentRating(annotation, segment),
      ratedByPerson: (annotation?.rating ?? null) !== null,
      prelabel: annotation?.prelabel?.label ?? null,
      estimate: stepEstimate(annotation, segment),
      alternatives: annotation?.alternatives ?? [],
    });
  }
  return steps;
}

/** Where the step formats take their labels from, first source first, and the score above which a Monte Carlo label is correct. */
export interface LabelChoice {
  sources: readonly LabelSource[];
  mcThreshold: number;
}

/** The formats that write step labels. */
export const STEP_FORMATS = ['trl-stepwise', 'prm800k', 'visualprm-conversation'] as const satisfies readonly ExportFormat[];
export type StepFormat = (typeof STEP_FORMATS)[number];

export function isStepFormat(format: ExportFormat): format is StepFormat {
  return (STEP_FORMATS as readonly ExportFormat[]).includes(format);
}

/** Where each step format takes its labels from when the export names no sources: VisualPRM's are Monte Carlo labels. */
export const FORMAT_LABEL_SOURCES: Record<StepFormat, readonly LabelSource[]> = {
  'trl-stepwise': ['human'],
  prm800k: ['human'],
  'visualprm-conversation': ['mc', 'human'],
};

/**
 * Why label options do not fit the format, or null when they do: only the step formats take label sources, and a
 * Monte Carlo threshold only where a score becomes a label.
 */
export function labelOptionsProblem(format: ExportFormat, options: { labelSources?: readonly LabelSource[]; mcThreshold?: number }): string | null {
  if (!isStepFormat(format)) {
    const given = options.labelSources !== undefined || options.mcThreshold !== undefined;
    return given ? `${format} writes no step labels; label sources and a Monte Carlo threshold are for ${STEP_FORMATS.join(', ')}` : null;
  }
  const sources = options.labelSources ?? FORMAT_LABEL_SOURCES[format];
  if (options.mcThreshold !== undefined && !sources.includes('mc'))
    return `a Monte Carlo threshold is for labels taken from Monte Carlo scores, and the label sources (${sources.join(', ')}) leave out mc`;
  return null;
}

/** The export's label sources, or the format's own when it names none. */
export function labelChoice(options: Pick<ExportOptions, 'labelSources' | 'mcThreshold'>, format: StepFormat): LabelChoice {
  return { sources: options.labelSources ?? FORMAT_LABEL_SOURCES[format], mcThreshold: options.mcThreshold };
}

/**
 * A step's label from the first source that has one: the rating (a person's, else the record's own), the
 * pre-label, or the Monte Carlo score (+1 above the threshold, as VisualPRM labels `+`, else -1). Null when
 * none has.
 */
function chosenLabel(step: Step, choice: LabelChoice): { rating: StepRating; origin: LabelOrigin } | null {
  for (const source of choice.sources) {
    if (source === 'human' && step.rating !== null) return { rating: step.rating, origin: step.ratedByPerson ? 'human' : 'record' };
    if (source === 'prelabel' && step.prelabel !== null) return { rating: step.prelabel, origin: 'prelabel' };
    if (source === 'mc' && step.estimate !== null) return { rating: step.estimate.score > choice.mcThreshold ? 1 : -1, origin: 'mc' };
  }
  return null;
}

const ORIGIN_NAMES: Record<LabelOrigin, string> = { human: 'human', record: "the record's own", prelabel: 'pre-label', mc: 'Monte Carlo' };

/** Where the step labels written came from, for the export summary (`120 human, 12 Monte Carlo`); null when none was written. */
export function describeLabels(counts: LabelCounts): string | null {
  const named = labelOrigins.filter((origin) => counts[origin] > 0).map((origin) => `${counts[origin]} ${ORIGIN_NAMES[origin]}`);
  return named.length > 0 ? named.join(', ') : null;
}

/** How many of the steps' labels came from each origin, for the export summary. */
export function labelCounts(steps: readonly Pick<RatedStep, 'origin'>[]): LabelCounts {
  const counts = noLabelCounts();
  for (const step of steps) counts[step.origin]++;
  return counts;
}

/** A rated step's label: +1 is correct, -1 is not, 0 is what `neutralLabel` says (OpenR counts neutral steps as correct). */
export function stepLabel(rating: StepRating, neutralLabel: boolean): boolean {
  return rating === 0 ? neutralLabel : rating === 1;
}

/** How the steps of a reply are rated: how many there are, how many are rated, and the 1-based numbers of the incorrect ones. */
export interface StepVerdict {
  reply: Reply;
  steps: number;
  rated: number;
  incorrect: number[];
}

/** The verdict on the steps of each assistant turn's reply, in order, each rated step labelled as `stepLabel` does. */
export function replyVerdicts(input: ExportInput, neutralLabel: boolean): StepVerdict[] {
  return annotatedReplies(input.parsed)
    .filter((reply) => reply.side === 'primary')
    .map((reply) => {
      const steps = replySteps(input, reply);
      const incorrect = steps.flatMap((step, index) => (step.rating !== null && !stepLabel(step.rating, neutralLabel) ? [index + 1] : []));
      return { reply, steps: steps.length, rated: steps.filter((step) => step.rating !== null).length, incorrect };
    });
}

/** Where a verdict's incorrect steps are, for messages: `step 2, 3`, and for a later reply `step 2 of turn 1`. */
export function incorrectSteps({ reply, incorrect }: StepVerdict): string {
  return `step ${incorrect.join(', ')}${reply.turn === 0 ? '' : ` of turn ${reply.turn}`}`;
}

/**
 * The labelled steps of each reply that has some (each assistant turn's, the rejected side of a pair), each label
 * from the first of `choice`'s sources that has one. Labels must cover the steps in order, so the list stops at
 * the first step without one; after an error that leaves out the unlabelled rest.
 */
export function ratedResponses(input: ExportInput, choice: LabelChoice): RatedResponse[] | Refusal {
  const rated: RatedResponse[] = [];
  let anyLabel = false;
  for (const reply of annotatedReplies(input.parsed)) {
    const all = replySteps(input, reply);
    const steps: RatedStep[] = [];
    for (const step of all) {
      const label = chosenLabel(step, choice);
      if (label === null) break;
      steps.push({ text: step.text, ...label, alternatives: step.alternatives.map((alternative) => ({ ...alternative, text: alternative.text.trim() })) });
    }
    anyLabel ||= all.some((step) => chosenLabel(step, choice) !== null);
    if (steps.length > 0) rated.push({ reply, allSteps: all.map((step) => step.text), steps });
  }
  if (rated.length > 0) return rated;
  // With other sources than ratings the refusal names them, so that a missing pre-label or score is found.
  const humanOnly = choice.sources.length === 1 && choice.sources[0] === 'human';
  const what = humanOnly ? 'rated steps' : `labelled steps (labels from ${choice.sources.join(', ')})`;
  return { refusal: anyLabel ? `no ${what} at the start of a response: labels must cover the steps in order from the first one` : `no ${what}` };
}

/** A step with its Monte Carlo estimate and the rollout counts it came from. */
export interface ScoredStep {
  text: string;
  score: number;
  correct: number;
  total: number;
}

export interface ScoredResponse {
  reply: Reply;
  steps: ScoredStep[];
}

/** Which reply a step is of, for messages: nothing for the first reply, ` of turn 2`, ` of the rejected response`. */
function ofReply(reply: Reply): string {
  if (reply.side === 'rejected') return ' of the rejected response';
  return reply.turn === 0 ? '' : ` of turn ${reply.turn}`;
}

/**
 * Each reply with Monte Carlo estimates (stored by mc-score, or the record's own) and every step's estimate
 * with its rollout counts: a score list must cover the whole response, so a reply with a step left unscored
 * is refused, naming the step.
 */
export function scoredResponses(input: ExportInput): ScoredResponse[] | Refusal {
  const scored: ScoredResponse[] = [];
  for (const reply of annotatedReplies(input.parsed)) {
    const steps = replySteps(input, reply);
    if (steps.every((step) => step.estimate === null)) continue;
    const written: ScoredStep[] = [];
    for (const [index, { text, estimate }] of steps.entries()) {
      if (!estimate?.rollouts) return { refusal: `step ${index + 1}${ofReply(reply)} has no Monte Carlo score with its rollout counts` };
      written.push({ text, score: estimate.score, ...estimate.rollouts });
    }
    scored.push({ reply, steps: written });
  }
  return scored.length > 0 ? scored : { refusal: 'no Monte Carlo step scores (mc-score --write and Score Steps by Rollouts store them)' };
}

/**
 * The rated (or scored) replies a format whose prompt holds one question can write: the first reply's and the
 * rejected side's; those of a later reply, whose prompt is the conversation before it, are refused, naming the turn.
 */
export function firstQuestionRatings<Replied extends { reply: Reply }>(
  rated: Replied[] | Refusal,
  oneQuestion: string,
  what = 'rated steps',
): Replied[] | Refusal {
  if (isRefusal(rated)) return rated;
  const later = rated.find(({ reply }) => reply.turn > 0);
  if (later) {
    return {
      refusal: `${oneQuestion}: the ${what} of turn ${later.reply.turn} answer a later question of the conversation, and the turns before it would be lost`,
    };
  }
  return rated;
}
