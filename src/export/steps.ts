import { segmentRating, type Alternative, type Rating } from '../dataset/annotations';
import { annotatedReplies, replyKey, type Reply } from '../dataset/replies';
import { type ExportInput, isRefusal, type Refusal } from './types';

export type StepRating = Exclude<Rating, null>;

export interface RatedStep {
  text: string;
  rating: StepRating;
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

/** A step of a reply and its rating (null: unrated), as annotated or, unannotated, as the record labels it. */
interface Step {
  text: string;
  rating: Rating;
  alternatives: Alternative[];
}

/**
 * The steps of a reply, each rated by the annotation its key names (`replyKey`: the first reply's by segment
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
    steps.push({ text, rating: segmentRating(annotation, segment), alternatives: annotation?.alternatives ?? [] });
  }
  return steps;
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
 * The rated steps of each reply that has some (each assistant turn's, the rejected side of a pair). Labels must
 * cover the steps in order, so the list stops at the first unrated step; after an error that leaves out the
 * unrated rest.
 */
export function ratedResponses(input: ExportInput): RatedResponse[] | Refusal {
  const rated: RatedResponse[] = [];
  for (const reply of annotatedReplies(input.parsed)) {
    const all = replySteps(input, reply);
    const steps: RatedStep[] = [];
    for (const { text, rating, alternatives } of all) {
      if (rating === null) break;
      steps.push({ text, rating, alternatives: alternatives.map((alternative) => ({ ...alternative, text: alternative.text.trim() })) });
    }
    if (steps.length > 0) rated.push({ reply, allSteps: all.map((step) => step.text), steps });
  }
  if (rated.length > 0) return rated;
  const anyRating = Object.values(input.annotations.segments).some((segment) => segment.rating !== null);
  return {
    refusal: anyRating ? 'no rated steps at the start of a response: labels must cover the steps in order from the first one' : 'no rated steps',
  };
}

/**
 * The rated replies a format whose prompt holds one question can write: the first reply's and the rejected
 * side's; rated steps of a later reply, whose prompt is the conversation before it, are refused, naming the turn.
 */
export function firstQuestionRatings(rated: RatedResponse[] | Refusal, oneQuestion: string): RatedResponse[] | Refusal {
  if (isRefusal(rated)) return rated;
  const later = rated.find(({ reply }) => reply.turn > 0);
  if (later) {
    return {
      refusal: `${oneQuestion}: the rated steps of turn ${later.reply.turn} answer a later question of the conversation, and the turns before it would be lost`,
    };
  }
  return rated;
}
