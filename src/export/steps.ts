import { annotationSide, segmentKey, segmentRating, type Alternative, type Rating } from '../dataset/annotations';
import type { ExportInput, Refusal } from './types';

export type StepRating = Exclude<Rating, null>;

export interface RatedStep {
  text: string;
  rating: StepRating;
  /** Other versions of the step (regenerated candidates, earlier texts) with their own ratings. */
  alternatives: Alternative[];
}

export interface RatedResponse {
  /** Every step of the response, rated or not. */
  allSteps: string[];
  /** The rated steps from the first one on, up to the first step without a rating. */
  steps: RatedStep[];
}

/** A step of a response and its rating (null: unrated), as annotated or, unannotated, as the record labels it. */
interface Step {
  text: string;
  rating: Rating;
  alternatives: Alternative[];
}

/**
 * The steps of the response at `index` when it is one that is rated (the first; the rejected side of a pair),
 * else null: the first response's ratings are keyed by segment index, the rejected side's by
 * `rejected:INDEX`; a step the annotator left unrated keeps the record's own label. A step is a segment's text without the spaces around it (LLaVA-CoT writes
 * `<SUMMARY> text </SUMMARY>`); blank segments (a bare header such as Mulberry's
 * `### Let's think step by step.`) are not steps.
 */
function responseSteps(input: ExportInput, index: number): Step[] | null {
  const response = input.parsed.responses[index];
  const side = response === undefined ? null : annotationSide(response, index);
  if (response === undefined || side === null) return null;
  const steps: Step[] = [];
  for (const [position, segment] of response.segments.entries()) {
    const text = segment.text.trim();
    if (text === '') continue;
    const annotation = input.annotations.segments[segmentKey(position, side)];
    steps.push({ text, rating: segmentRating(annotation, segment), alternatives: annotation?.alternatives ?? [] });
  }
  return steps;
}

/** A rated step's label: +1 is correct, -1 is not, 0 is what `neutralLabel` says (OpenR counts neutral steps as correct). */
export function stepLabel(rating: StepRating, neutralLabel: boolean): boolean {
  return rating === 0 ? neutralLabel : rating === 1;
}

/** How the steps of the first response are rated: how many there are, how many are rated, and the 1-based numbers of the incorrect ones. */
export interface StepVerdict {
  steps: number;
  rated: number;
  incorrect: number[];
}

/** The verdict on the first response's steps, each rated step labelled as `stepLabel` does. */
export function firstResponseVerdict(input: ExportInput, neutralLabel: boolean): StepVerdict {
  const steps = input.parsed.responses.length > 0 ? (responseSteps(input, 0) ?? []) : [];
  const incorrect = steps.flatMap((step, index) => (step.rating !== null && !stepLabel(step.rating, neutralLabel) ? [index + 1] : []));
  return { steps: steps.length, rated: steps.filter((step) => step.rating !== null).length, incorrect };
}

/**
 * The rated steps of each response that has some (the first one, the rejected side of a pair). Labels must
 * cover the steps in order, so the list stops at the first unrated step; after an error that leaves out the
 * unrated rest.
 */
export function ratedResponses(input: ExportInput): RatedResponse[] | Refusal {
  const rated: RatedResponse[] = [];
  for (const index of input.parsed.responses.keys()) {
    const all = responseSteps(input, index);
    if (all === null) continue;
    const steps: RatedStep[] = [];
    for (const { text, rating, alternatives } of all) {
      if (rating === null) break;
      steps.push({ text, rating, alternatives: alternatives.map((alternative) => ({ ...alternative, text: alternative.text.trim() })) });
    }
    if (steps.length > 0) rated.push({ allSteps: all.map((step) => step.text), steps });
  }
  if (rated.length > 0) return rated;
  const anyRating = Object.values(input.annotations.segments).some((segment) => segment.rating !== null);
  return {
    refusal: anyRating
      ? 'no rated steps at the start of a response: labels must cover the steps in order from the first one'
      : 'no rated steps',
  };
}
