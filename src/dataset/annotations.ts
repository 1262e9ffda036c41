import { z } from 'zod';
import type { Json, JsonPath, Response, Segment } from './record';

/** The reserved key under which each record carries its annotations. */
export const ANNOTATION_KEY = 'cot_studio';
export const ANNOTATION_VERSION = 1;
export const HISTORY_LIMIT = 20;
/**
 * The segmentation a block's segment indices count: 2 makes a segment of the summary between `</think>` and
 * `<answer>` and of a `### Let's think step by step` header however it ends; blocks without it were written before.
 */
export const SEGMENTATION = 2;
/** Mulberry's reflection phrase; the `cotStudio.reflectionPhrase` setting replaces it. */
export const DEFAULT_REFLECTION_PHRASE = 'I think I have made a mistake. Let me rethink it.';

export const reviewStatusSchema = z.enum(['unreviewed', 'accepted', 'rejected', 'needs_fix']);
export type ReviewStatus = z.infer<typeof reviewStatusSchema>;

/** +1 correct, 0 neutral, -1 incorrect (PRM800K), null unrated. */
export const ratingSchema = z.union([z.literal(1), z.literal(0), z.literal(-1), z.null()], { error: 'expected -1, 0, 1 or null' });
export type Rating = z.infer<typeof ratingSchema>;

export const provenanceSchema = z.object({
  /** Who wrote the text: the annotator, a model, or the record as it came. */
  source: z.enum(['human', 'model', 'original']),
  backend: z.string().optional(),
  model: z.string().optional(),
  method: z.string().optional(),
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  seed: z.number().int().optional(),
  score: z.number().optional(),
  /** The annotator who wrote the text (`cotStudio.annotator`), when a person did. */
  by: z.string().optional(),
  createdAt: z.string(),
});
export type Provenance = z.infer<typeof provenanceSchema>;

/**
 * The record's images as provenance parameters name them: those the model saw, or that it read the text alone
 * (a local text model is not shown images), so a candidate written without the picture says so.
 */
export function imagesProvenance(names: readonly string[], seen: number | undefined): Record<string, string> {
  if (names.length === 0) return {};
  const listed = names.join(', ');
  if (seen === undefined || seen >= names.length) return { images: listed };
  return { images: seen === 0 ? `${listed} (not seen: the model reads text only)` : `${listed} (${seen} of ${names.length} seen)` };
}

/**
 * The objects stored in a record keep keys CoT Studio does not know (another tool's, or a user's), so that
 * writing the annotations back never drops them; what callers send is checked against the plain schemas.
 */
const storedProvenanceSchema = provenanceSchema.loose();

export const alternativeSchema = z.looseObject({
  text: z.string(),
  rating: ratingSchema,
  provenance: storedProvenanceSchema,
});
export type Alternative = z.infer<typeof alternativeSchema>;

/**
 * A step's Monte Carlo estimate (Math-Shepherd; VisualPRM's `num_mc_correct / num_mc_total`): of `total` completions
 * the policy drew from the response up to and with the step, `correct` reached the ground truth.
 */
export const monteCarloScoreSchema = z.looseObject({
  score: z.number().min(0).max(1),
  correct: z.number().int().min(0),
  total: z.number().int().min(1),
  /** The model that rolled out, as its backend names it. */
  policy: z.string(),
  /** Completions drawn for the whole response, the run this estimate came from. */
  rollouts: z.number().int().min(0),
  createdAt: z.string(),
});
export type MonteCarloScore = z.infer<typeof monteCarloScoreSchema>;

/** A box on an image, in the image's own pixels: where a perception error misreads it. */
export const imageBoxSchema = z.object({
  /** Which of the reply's images (0-based); the first when left out. */
  image: z.number().int().min(0).optional(),
  x: z.number().min(0),
  y: z.number().min(0),
  width: z.number().positive(),
  height: z.number().positive(),
});
export type ImageBox = z.infer<typeof imageBoxSchema>;

/**
 * What kind of error a reply's first wrong step is (VL-PRM300K's split): `perception` misreads the image (a wrong
 * value, object or label), `reasoning` draws a wrong inference or computation from what was read.
 */
export const firstErrorSchema = z.looseObject({
  type: z.enum(['perception', 'reasoning']),
  note: z.string().optional(),
  /** For a perception error: where on the image it misreads. */
  box: imageBoxSchema.optional(),
});
export type FirstError = z.infer<typeof firstErrorSchema>;

/** A label a model suggested for a step: +1 / 0 / -1 as the ratings are. */
export const labelValueSchema = z.union([z.literal(1), z.literal(0), z.literal(-1)], { error: 'expected -1, 0 or 1' });
export type LabelValue = z.infer<typeof labelValueSchema>;

/**
 * A model's suggestion for a step's rating (a step judge, a process reward model or a server), kept apart from the
 * rating, which only a person sets. `decision` says what the person did with it: took it as it was, or rated the
 * step otherwise; absent while nobody has rated the step since it was suggested.
 */
export const prelabelSchema = z.looseObject({
  label: labelValueSchema,
  /** How sure the labeller was, in [0, 1]: a reward model's P(good) or P(bad), a judge's probability of its verdict. */
  confidence: z.number().min(0).max(1).optional(),
  provenance: storedProvenanceSchema,
  decision: z.enum(['confirmed', 'overridden']).optional(),
});
export type Prelabel = z.infer<typeof prelabelSchema>;

export const segmentAnnotationSchema = z.looseObject({
  rating: ratingSchema.default(null),
  /** The annotator who gave the rating (`cotStudio.annotator`). */
  ratedBy: z.string().optional(),
  /** How the rating was given when a suggestion stood beside it: the suggestion confirmed or overridden, and whose it was. */
  ratingProvenance: storedProvenanceSchema.optional(),
  /** A model's suggested rating, set by "Pre-label Steps" and `cot-studio prelabel`; never the rating itself. */
  prelabel: prelabelSchema.optional(),
  /** Set by `mc-score` and "Score Steps by Rollouts"; apart from the rating, which stays the annotator's. */
  monteCarlo: monteCarloScoreSchema.optional(),
  /** On the step marked as its reply's first error, when the annotator said what kind of error it is. */
  firstError: firstErrorSchema.optional(),
  /** Set when an earlier segment changed after this one was written. */
  stale: z.boolean().optional(),
  alternatives: z.array(alternativeSchema).default([]),
});
export type SegmentAnnotation = z.infer<typeof segmentAnnotationSchema>;

export const preferencePairSchema = z.object({
  level: z.enum(['response', 'segment']),
  /** Segment index for segment-level pairs. */
  position: z.number().int().min(0).optional(),
  /** The reply of a conversation the pair is about (0-based among its assistant turns); absent: the first. */
  turn: z.number().int().min(1).optional(),
  /** A tree search's output: the model whose path the pair is about; absent: the first path. */
  model: z.string().optional(),
  chosen: z.string(),
  rejected: z.string(),
  /**
   * Where the pair came from: an annotator's action (`manual`, `accepted-alternative`, `reflection`), the record's
   * own chosen/rejected (`source`), MPO's sampled pairs (methods.md §2: `mpo-correctness` against a ground truth,
   * `mpo-without-image` continued without the image) or siblings of the tree search (`mcts-sibling`).
   */
  origin: z.enum(['accepted-alternative', 'manual', 'reflection', 'source', 'mpo-correctness', 'mpo-without-image', 'mcts-sibling']),
  /** How a model made the pair (MPO's sampled pairs): backend, model, seed and sampling settings. */
  provenance: provenanceSchema.optional(),
  /** The annotator who made the pair, for pairs a person made. */
  by: z.string().optional(),
  createdAt: z.string(),
});
export type PreferencePair = z.infer<typeof preferencePairSchema>;
const storedPreferencePairSchema = preferencePairSchema.extend({ provenance: storedProvenanceSchema.optional() }).loose();

export const reflectionSchema = z.looseObject({
  segment: z.number().int().min(0),
  /** The reply of a conversation the segment is in; absent: the first. */
  turn: z.number().int().min(1).optional(),
  /** A tree search's output: the model whose path the segment is in; absent: the first path. */
  model: z.string().optional(),
  wrong: z.string(),
  phrase: z.string(),
  correction: z.string(),
  by: z.string().optional(),
  createdAt: z.string(),
});
export type Reflection = z.infer<typeof reflectionSchema>;

export const historyEntrySchema = z.looseObject({
  at: z.string(),
  operation: z.string(),
  segment: z.number().int().min(0).optional(),
  turn: z.number().int().min(1).optional(),
  model: z.string().optional(),
  /** Who did it: the annotator's name (`cotStudio.annotator`). */
  by: z.string().optional(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

function versionProblem(version: unknown): string {
  if (typeof version === 'number' && version > ANNOTATION_VERSION) return `${version} is newer than this CoT Studio understands (${ANNOTATION_VERSION})`;
  return version === undefined ? `missing; expected ${ANNOTATION_VERSION}` : `expected ${ANNOTATION_VERSION}`;
}

/** A value two annotators changed differently, kept by a merge for a person to adjudicate. */
export const annotationConflictSchema = z.looseObject({
  /** Where in the block (`review`, `segments.2.rating`), or `record` for the record's own text. */
  path: z.string(),
  ours: z.unknown(),
  theirs: z.unknown(),
  /** Who gave each value, where the block says (a rating's `ratedBy`, a review's `by`). */
  oursBy: z.string().optional(),
  theirsBy: z.string().optional(),
});
export type AnnotationConflict = z.infer<typeof annotationConflictSchema>;

/** A conflict a person settled: the values there were, the one taken, and who took it when. */
export const adjudicationSchema = annotationConflictSchema.extend({
  taken: z.enum(['ours', 'theirs']),
  by: z.string().optional(),
  at: z.string(),
});
export type Adjudication = z.infer<typeof adjudicationSchema>;

/**
 * Everything CoT Studio adds to a record. Segment annotations are keyed by the segment's index in the
 * record's first response (`"2"`), for the other side of a pair by role and index (`"rejected:2"`), and for a
 * later reply of a conversation by its turn among the assistant turns and index (`"turn1:2"`).
 */
export const annotationsSchema = z.looseObject({
  version: z.literal(ANNOTATION_VERSION, { error: ({ input }) => versionProblem(input) }),
  review: z.looseObject({ status: reviewStatusSchema, note: z.string().optional(), by: z.string().optional() }).default({ status: 'unreviewed' }),
  segments: z.record(z.string(), segmentAnnotationSchema).default({}),
  preferencePairs: z.array(storedPreferencePairSchema).default([]),
  reflections: z.array(reflectionSchema).default([]),
  history: z.array(historyEntrySchema).max(HISTORY_LIMIT).default([]),
  /** What a merge of two annotators' work could not decide (`cot-studio merge-driver`); absent when nothing. */
  conflicts: z.array(annotationConflictSchema).optional(),
  /** Conflicts settled in the editor, kept so the choice and who made it can be looked at again. */
  adjudications: z.array(adjudicationSchema).optional(),
  /** See SEGMENTATION; written only on records that have a segment earlier versions did not make. */
  segmentation: z.number().int().min(1).optional(),
});
export type Annotations = z.infer<typeof annotationsSchema>;

/**
 * What `annotationsSchema` makes of a block with only its version, written out: every record without a block
 * asks for it (twice when checked), and parsing it each time costs more than the rest of reading the block.
 * A unit test holds the two equal.
 */
export function emptyAnnotations(): Annotations {
  return { version: ANNOTATION_VERSION, review: { status: 'unreviewed' }, segments: {}, preferencePairs: [], reflections: [], history: [] };
}

/** What is wrong with a record's annotation block, with where inside the block (the first of several problems). */
export interface AnnotationProblem {
  path: JsonPath;
  problem: string;
}

/** A record's annotation block read: a record without one has empty annotations. */
export function parseAnnotations(raw: Json | undefined): { annotations: Annotations } | AnnotationProblem {
  if (raw === undefined) return { annotations: emptyAnnotations() };
  const parsed = annotationsSchema.safeParse(raw);
  if (parsed.success) return { annotations: parsed.data };
  const [first, ...others] = parsed.error.issues;
  const more = others.length === 0 ? '' : ` (and ${others.length} more problem${others.length === 1 ? '' : 's'})`;
  return { path: first.path.map((part) => (typeof part === 'number' ? part : String(part))), problem: `${first.message}${more}` };
}

/** Which response of a preference record: the first (chosen) one, or the rejected side. */
export const sideSchema = z.enum(['primary', 'rejected']);
export type Side = z.infer<typeof sideSchema>;

/**
 * The annotation key of a segment: its index in the first response, side-qualified for the rejected side, and
 * turn-qualified for a later reply of a conversation (the first reply keeps the keys records have always had).
 */
export function segmentKey(segment: number, side: Side = 'primary', turn = 0): string {
  if (side === 'rejected') return `${side}:${segment}`;
  return turn === 0 ? String(segment) : `turn${turn}:${segment}`;
}

/**
 * Which annotations a response's segments use: the first response's are keyed by index, the rejected side's
 * by `rejected:INDEX`; further responses (several models' paths of a tree search) carry none.
 */
export function annotationSide(response: Response, position: number): Side | null {
  return position === 0 ? 'primary' : response.role === 'rejected' ? 'rejected' : null;
}

/**
 * The rating a segment is shown, counted and exported with: the annotator's when set, else the label the
 * record gives the step itself (process-supervision data). The record is never rewritten for it, and
 * clearing the annotator's rating brings the record's label back.
 */
export function segmentRating(annotation: SegmentAnnotation | undefined, segment: Segment | undefined): Rating {
  return annotation?.rating ?? segment?.sourceLabel?.rating ?? null;
}
