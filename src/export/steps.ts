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

/**
 * The rated steps of each response that has some: the first response's ratings are keyed by segment index,
 * the rejected side's by `rejected:INDEX`; a step the annotator left unrated keeps the record's own label. A step is a segment's text without the spaces around it (LLaVA-CoT
 * writes `<SUMMARY> text </SUMMARY>`); blank segments (a bare header such as Mulberry's
 * `### Let's think step by step.`) are not steps. Labels must cover the steps in order, so the list stops at the
 * first unrated step; after an error that leaves out the unrated rest.
 */
export function ratedResponses(input: ExportInput): RatedResponse[] | Refusal {
  const rated: RatedResponse[] = [];
  for (const [index, response] of input.parsed.responses.entries()) {
    const side = annotationSide(response, index);
    if (side === null) continue;
    const allSteps: string[] = [];
    const steps: RatedStep[] = [];
    let open = true;
    for (const [position, segment] of response.segments.entries()) {
      const text = segment.text.trim();
      if (text === '') continue;
      allSteps.push(text);
      const annotation = input.annotations.segments[segmentKey(position, side)];
      const rating = segmentRating(annotation, segment);
      open = open && rating !== null;
      if (!open || rating === null) continue;
      const alternatives = (annotation?.alternatives ?? []).map((alternative) => ({ ...alternative, text: alternative.text.trim() }));
      steps.push({ text, rating, alternatives });
    }
    if (steps.length > 0) rated.push({ allSteps, steps });
  }
  if (rated.length > 0) return rated;
  const anyRating = Object.values(input.annotations.segments).some((segment) => segment.rating !== null);
  return {
    refusal: anyRating
      ? 'no rated steps at the start of a response: labels must cover the steps in order from the first one'
      : 'no rated steps',
  };
}
