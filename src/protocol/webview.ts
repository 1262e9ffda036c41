import { z } from 'zod';
import { firstErrorSchema, imageBoxSchema, provenanceSchema, ratingSchema, reviewStatusSchema, sideSchema, labelValueSchema } from '../dataset/annotations';
import { formatIdSchema, responseRoleSchema, segmentKindSchema, stepLabelSchema } from '../dataset/record';
import { recordFilterSchema } from '../dataset/filterSchema';
import { operationSchema } from '../dataset/operationSchema';
import { recordSummarySchema } from '../dataset/recordSummarySchema';
import { conflictViewSchema } from '../dataset/conflictViewSchema';

export const MAX_PAGE_SIZE = 500;

/** An image of the selected sample: a webview URI when the file is inside the allowed roots. */
export const sampleImageSchema = z.object({
  path: z.string(),
  src: z.string().nullable(),
  /** Why the image cannot be shown: missing, or outside the dataset folder and image roots. */
  problem: z.string().nullable(),
});

export const sampleSegmentSchema = z.object({
  index: z.number().int().min(0),
  kind: segmentKindSchema,
  label: z.string(),
  text: z.string(),
  /** The annotator's rating, or else the record's own label for the step. */
  rating: ratingSchema,
  /** The record's own label for the step and its Monte Carlo estimate (process-supervision data), kept as the record has them. */
  sourceLabel: stepLabelSchema.nullable(),
  stale: z.boolean(),
  /** The step's Monte Carlo estimate from a run of "Score Steps by Rollouts" or `mc-score --write`; null without one. */
  monteCarlo: z.object({ score: z.number(), correct: z.number().int(), total: z.number().int(), policy: z.string() }).nullable(),
  /** A model's suggested label (Pre-label Steps), who made it, and what the annotator did with it; null without one. */
  prelabel: z
    .object({
      label: labelValueSchema,
      confidence: z.number().nullable(),
      by: z.string(),
      decision: z.enum(['confirmed', 'overridden']).nullable(),
    })
    .nullable(),
  /** Whether the step's rating, suggestion and Monte Carlo score lie at least DISAGREEMENT_THRESHOLD apart (see stepDisagreement). */
  disagrees: z.boolean(),
  /** On the step marked as the reply's first error, when its kind was given. */
  firstError: z.object({ type: firstErrorSchema.shape.type, note: z.string().nullable(), box: imageBoxSchema.nullable() }).nullable(),
  alternatives: z.array(z.object({ text: z.string(), rating: ratingSchema, provenance: provenanceSchema })),
});
export type SampleSegment = z.infer<typeof sampleSegmentSchema>;

/** A response as the sample view shows it: its segments with their annotations. */
export const sampleResponseSchema = z.object({
  role: responseRoleSchema,
  text: z.string(),
  segments: z.array(sampleSegmentSchema),
  /** The model that wrote the response, and whether the record judges its answer correct, when it says. */
  model: z.string().nullable(),
  correct: z.boolean().nullable(),
  /** The value a tree search gave the path, when the record gives one. */
  value: z.number().optional(),
  /** The assistant turn it answers, 0-based (commands' `turn`); the first reply and every single-turn response: 0. */
  turn: z.number().int().min(0),
});
export type SampleResponse = z.infer<typeof sampleResponseSchema>;

/** A question of a conversation: its text and images in the order the record places them. */
export const sampleQuestionPartSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('text'), text: z.string() }),
  z.object({ kind: z.literal('image'), image: sampleImageSchema }),
]);
export type SampleQuestionPart = z.infer<typeof sampleQuestionPartSchema>;

/** Everything the sample view shows of one record; built by the host from the record's current text. */
export const sampleSchema = z.object({
  index: z.number().int().min(0),
  line: z.number().int().min(1),
  format: formatIdSchema.nullable(),
  /** The system prompt of a chat record, or null. */
  system: z.string().nullable(),
  question: z.string().nullable(),
  groundTruth: z.string().nullable(),
  images: z.array(sampleImageSchema),
  responses: z.array(sampleResponseSchema),
  /**
   * A conversation that goes on after its first reply, in order: each question with its images where its
   * `<image>` placeholders stand, and each reply by its turn (turn 0 is `responses[0]`, turn N `laterReplies[N - 1]`).
   */
  conversation: z
    .array(
      z.discriminatedUnion('role', [
        z.object({ role: z.literal('user'), parts: z.array(sampleQuestionPartSchema) }),
        z.object({ role: z.literal('assistant'), turn: z.number().int().min(0) }),
      ]),
    )
    .nullable(),
  laterReplies: z.array(sampleResponseSchema),
  /** The start every path of a tree search shares (CoMCTS's `prefix_prompt`), when the record has one. */
  prefixPrompt: z.string().optional(),
  review: z.object({ status: reviewStatusSchema, note: z.string() }),
  problems: z.array(z.object({ check: z.string(), severity: z.enum(['error', 'warning']), message: z.string() })),
  preferencePairs: z.number().int().min(0),
  /** What a merge of two annotators' work left for a person to adjudicate, in the record's order. */
  conflicts: z.array(conflictViewSchema),
  /** When the line cannot be read as a record: the reason, and the raw line to show as it is. */
  unreadable: z.object({ reason: z.string(), text: z.string() }).nullable(),
});
export type Sample = z.infer<typeof sampleSchema>;

export const webviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  /** The user selected a record in the list (0-based record index) and, in the sample view, a segment. */
  z.object({
    type: z.literal('select'),
    index: z.number().int().min(0),
    segment: z.number().int().min(0).optional(),
    turn: z.number().int().min(0).optional(),
    /** A tree search's path after the first, by its model. */
    model: z.string().min(1).optional(),
  }),
  z.object({
    type: z.literal('requestPage'),
    /** 0-based index into the dataset's records (not a line number). */
    start: z.number().int().min(0),
    count: z.number().int().min(1).max(MAX_PAGE_SIZE),
  }),
  /** Show this record in the sample view; `prefetch` asks for a neighbour to keep ready, not to show. */
  z.object({ type: z.literal('requestSample'), index: z.number().int().min(0), prefetch: z.boolean().optional() }),
  /** Show only the records that pass this filter (an empty filter shows all). */
  z.object({ type: z.literal('setFilter'), filter: recordFilterSchema }),
  /** Run an editing operation on the shown record; it joins VS Code's undo stack like a command. */
  z.object({ type: z.literal('operation'), operation: operationSchema }),
  /** Regenerate a segment (with `rest`, it and every later one) by beam search; candidates become alternatives. */
  z.object({
    type: z.literal('regenerate'),
    line: z.number().int().min(1),
    segment: z.number().int().min(0),
    side: sideSchema.optional(),
    /** The reply of a conversation; left out, the last one. */
    turn: z.number().int().min(0).optional(),
    rest: z.boolean().default(false),
    method: z.enum(['beam', 'mcts']).default('beam'),
  }),
  /** Stop the regeneration running on this dataset. */
  z.object({ type: z.literal('cancelRegeneration') }),
  /** Ask a model about the steps of a reply: suggested labels (`prelabel`) or Monte Carlo scores (`rollouts`). */
  z.object({
    type: z.literal('labelSteps'),
    line: z.number().int().min(1),
    turn: z.number().int().min(0).optional(),
    by: z.enum(['prelabel', 'rollouts']),
  }),
]);
export type WebviewMessage = z.infer<typeof webviewMessageSchema>;

/** The tree search as the sample view draws it. */
export const searchTreeSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number().int().min(0),
      parent: z.number().int().min(0).nullable(),
      text: z.string(),
      visits: z.number(),
      value: z.number(),
      score: z.number(),
      scores: z.array(z.number().nullable()),
      terminal: z.boolean(),
      correct: z.boolean().nullable(),
    }),
  ),
  bestPath: z.array(z.number().int().min(0)),
  iterations: z.number().int().min(0),
  budget: z.number().int().min(0),
  solved: z.boolean(),
  /** Reflection proposals: the response from the segment on, with the wrong step, the phrase and a correct sibling. */
  reflections: z.array(z.object({ text: z.string(), wrong: z.string(), correction: z.string() })),
});
export type SearchTreeView = z.infer<typeof searchTreeSchema>;

export const hostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('dataset'),
    fileName: z.string(),
    recordCount: z.number().int().min(0),
    lineCount: z.number().int().min(0),
    /** False while the file is still being indexed: the counts are the records and lines found so far. */
    complete: z.boolean(),
  }),
  /**
   * More of the file was indexed (or another program appended to it): the dataset has at least these records and
   * lines, the list `listCount` rows; `complete` once the index reaches the end of the file.
   */
  z.object({
    type: z.literal('indexing'),
    recordCount: z.number().int().min(0),
    lineCount: z.number().int().min(0),
    listCount: z.number().int().min(0),
    indexedBytes: z.number().min(0),
    totalBytes: z.number().min(0),
    complete: z.boolean(),
  }),
  z.object({
    type: z.literal('page'),
    start: z.number().int().min(0),
    records: z.array(recordSummarySchema),
  }),
  /** Records changed (by an edit, undo, revert or a reload): pages holding them must be asked for again. */
  z.object({ type: z.literal('changed'), recordIndices: z.union([z.array(z.number().int().min(0)), z.literal('all')]), recordCount: z.number().int().min(0) }),
  /** The host moved the selection (navigation commands): a record index and its position in the list, if shown. */
  z.object({ type: z.literal('select'), index: z.number().int().min(0), position: z.number().int().min(0).nullable() }),
  z.object({ type: z.literal('sample'), sample: sampleSchema, prefetch: z.boolean().optional() }),
  /** A filter is being applied: `read` of the `of` records indexed so far have been read (`indexing`: more are coming). */
  z.object({ type: z.literal('filtering'), read: z.number().int().min(0), of: z.number().int().min(0), indexing: z.boolean() }),
  /** The list now shows `count` records (positions 0..count-1); counts per filter value over the whole file. */
  z.object({
    type: z.literal('filtered'),
    count: z.number().int().min(0),
    filterActive: z.boolean(),
    counts: z.object({
      formats: z.record(z.string(), z.number()),
      review: z.record(z.string(), z.number()),
      checks: z.record(z.string(), z.number()),
      unrated: z.number(),
      hasAlternatives: z.number(),
      disagreement: z.number(),
      annotators: z.record(z.string(), z.number()),
      /** Conflicts and disagreements: records with a conflict a merge kept or a step whose labels disagree. */
      conflicts: z.number(),
    }),
  }),
  /** Review progress over the whole file; `complete` is false while it is still being counted. */
  z.object({ type: z.literal('progress'), reviewed: z.number().int().min(0), total: z.number().int().min(0), complete: z.boolean() }),
  z.object({ type: z.literal('error'), message: z.string() }),
  /**
   * A regeneration in progress: the candidates' text so far for the segment being decoded, then its state.
   * When it is `done` the candidates are the segment's alternatives and the record is sent again.
   */
  z.object({
    type: z.literal('regeneration'),
    line: z.number().int().min(1),
    segment: z.number().int().min(0),
    side: sideSchema,
    turn: z.number().int().min(0),
    state: z.enum(['decoding', 'ranking', 'searching', 'done', 'failed', 'cancelled']),
    candidates: z.array(z.string()),
    /** The last message of the run: nothing more follows (a run over the rest reports `done` per segment). */
    final: z.boolean(),
    /** What went wrong, or what was dropped and why. */
    message: z.string().optional(),
    /** Tree search: the tree as it stands, the best path, the budget spent. */
    search: searchTreeSchema.optional(),
  }),
]);
export type HostMessage = z.infer<typeof hostMessageSchema>;
