import { annotatorWork } from './annotatorWork';
import { type Annotations, emptyAnnotations, type ReviewStatus, segmentKey, segmentRating } from './annotations';
import { type CheckContext, type CheckId, checkLine, type LineCheck } from './checks';
import { DISAGREEMENT_THRESHOLD, stepDisagreement } from './disagreement';
import type { FactFormat, RecordFilter } from './filterSchema';
import { readAnnotations, RecordError } from './recordEdit';
import { annotatedReplies, assistantReplies, replyKey } from './replies';
import type { InvalidUtf8 } from './utf8';

export { FACT_FORMATS, type FactFormat, type RecordFilter, recordFilterSchema } from './filterSchema';

/** What the sample list can filter on, without the text itself. */
export interface RecordFacts {
  format: FactFormat;
  review: ReviewStatus;
  checks: CheckId[];
  /** Some segment of a reply (every assistant turn of a conversation) has no rating. */
  unrated: boolean;
  hasAlternatives: boolean;
  /** The widest disagreement among a step's rating, suggestion and Monte Carlo score (see stepDisagreement); null when no step has two. */
  disagreement: number | null;
  /** Everyone the annotation block names as having done something in the record. */
  annotators: string[];
  /** A merge kept conflicts between two annotators' values (`cot_studio.conflicts`) for a person to adjudicate. */
  conflicts: boolean;
}

function annotationsOf(...[record, parsed]: Parameters<typeof readAnnotations>): Annotations {
  try {
    return readAnnotations(record, parsed);
  } catch (error) {
    if (error instanceof RecordError) return emptyAnnotations();
    throw error;
  }
}

/**
 * Reads a line once and returns its facts, its checks (results, and the record as read, which the dataset's
 * counts take) and the text a search looks in (lower-cased).
 */
export function readFacts(lineText: string, context: CheckContext, invalidUtf8?: InvalidUtf8): { facts: RecordFacts; text: string; check: LineCheck } {
  const check = checkLine(lineText, context, invalidUtf8);
  const { record, parsed, results } = check;
  const checks = [...new Set(results.map((result) => result.check))];
  if (!record || !parsed) {
    const format: FactFormat = checks.includes('unparseable') ? 'unparseable' : 'unknown-format';
    const review = record ? annotationsOf(record).review.status : 'unreviewed';
    return {
      facts: { format, review, checks, unrated: false, hasAlternatives: false, disagreement: null, conflicts: false, annotators: [] },
      text: lineText.toLowerCase(),
      check,
    };
  }
  const annotations = annotationsOf(record, parsed);
  const unrated = assistantReplies(parsed).some((response, turn) =>
    response.segments.some((segment, index) => segmentRating(annotations.segments[segmentKey(index, 'primary', turn)], segment) === null),
  );
  const hasAlternatives = Object.values(annotations.segments).some((segment) => segment.alternatives.length > 0);
  let disagreement: number | null = null;
  // Most records carry no step labels at all: a record needs annotations, or a score of its own, to disagree.
  const labelled =
    Object.keys(annotations.segments).length > 0 ||
    parsed.responses.some((response) => response.segments.some((segment) => segment.sourceLabel?.score !== undefined));
  for (const reply of labelled ? annotatedReplies(parsed) : []) {
    reply.response.segments.forEach((segment, index) => {
      const apart = stepDisagreement(annotations.segments[replyKey(reply, index)], segment);
      if (apart !== undefined && apart > (disagreement ?? -1)) disagreement = apart;
    });
  }
  const said = parsed.conversation
    ? parsed.conversation.map((turn) => turn.text)
    : [parsed.question ?? '', ...parsed.responses.map((response) => response.text)];
  const text = said.join('\n').toLowerCase();
  const annotators = [...annotatorWork(annotations).keys()];
  const conflicts = (annotations.conflicts?.length ?? 0) > 0;
  return {
    facts: { format: parsed.format, review: annotations.review.status, checks, unrated, hasAlternatives, disagreement, conflicts, annotators },
    text,
    check,
  };
}

/** Whether a record has a step whose labels disagree by at least DISAGREEMENT_THRESHOLD. */
export const disagrees = (facts: Pick<RecordFacts, 'disagreement'>): boolean => (facts.disagreement ?? 0) >= DISAGREEMENT_THRESHOLD;

/** Whether facts (and the record's text, when the filter searches) pass a filter. */
export function matchesFilter(facts: RecordFacts, filter: RecordFilter, text?: string): boolean {
  if (filter.format !== undefined && facts.format !== filter.format) return false;
  if (filter.review !== undefined && facts.review !== filter.review) return false;
  if (filter.check !== undefined && !facts.checks.includes(filter.check)) return false;
  if (filter.unrated && !facts.unrated) return false;
  if (filter.hasAlternatives && !facts.hasAlternatives) return false;
  if (filter.annotator !== undefined && !facts.annotators.includes(filter.annotator)) return false;
  if (filter.disagreement && !disagrees(facts)) return false;
  if (filter.conflicts && !facts.conflicts && !disagrees(facts)) return false;
  if (filter.text && !(text ?? '').includes(filter.text.toLowerCase())) return false;
  return true;
}
