import { z } from 'zod';
import type { Annotations } from '../dataset/annotations';
import type { JsonObject, ParsedRecord } from '../dataset/record';
import type { ExportImages } from './images';

/** The export targets; field names of each are in docs (formats.md). */
export const exportFormatSchema = z.enum([
  'trl-sft',
  'trl-dpo',
  'trl-stepwise',
  'trl-kto',
  'llamafactory-sharegpt',
  'openai-chat',
  'openai-dpo',
  'prm800k',
  'mmpr',
  'mulberry',
  'visualprm',
  'visualprm-conversation',
]);
export type ExportFormat = z.infer<typeof exportFormatSchema>;

/** One record of the dataset, read through its format adapter. */
export interface ExportInput {
  /** 1-based line of the record in its file, for refusals. */
  line: number;
  record: JsonObject;
  parsed: ParsedRecord;
  /** From the record's `cot_studio` key, or empty ones. */
  annotations: Annotations;
}

/**
 * How an export writes a record's images: a path from the output's folder (`relative`), the file's absolute
 * path, the bytes inlined as a base64 data URI, or a path to a copy in `imagesDir`.
 */
export const imageModeSchema = z.enum(['relative', 'absolute', 'data-uri', 'copy']);
export type ImageMode = z.infer<typeof imageModeSchema>;

/**
 * Where a step label may come from, listed in the order to try them: the rating a person gave (or, unrated, the
 * label the record gives the step itself), a model's pre-label, or the Monte Carlo score mapped at a threshold.
 */
export const labelSourceSchema = z.enum(['human', 'prelabel', 'mc'], { error: 'expected human, prelabel or mc' });
export type LabelSource = z.infer<typeof labelSourceSchema>;

/** Where a written step label came from: `human` of the sources splits into a person's rating and the record's own label. */
export type LabelOrigin = 'human' | 'record' | 'prelabel' | 'mc';
export type LabelCounts = Record<LabelOrigin, number>;

/** The origins in the order summaries name them. */
export const labelOrigins: readonly LabelOrigin[] = ['human', 'record', 'prelabel', 'mc'];

export function noLabelCounts(): LabelCounts {
  return { human: 0, record: 0, prelabel: 0, mc: 0 };
}

export function addLabelCounts(total: LabelCounts, more: LabelCounts): void {
  for (const origin of labelOrigins) total[origin] += more[origin];
}

const LABEL_SOURCES = 'expected human, prelabel and mc in the order to try them, each at most once';
const MC_THRESHOLD = 'expected a number from 0 to 1';

const WORD_LIMIT = 'expected a whole number of words, at least 1';
/** A marker must hold a visible character: a marker of spaces would cut at every word. */
const reflectionMarkerSchema = z.string().regex(/\S/, 'a reflection marker needs a character that is not a space');

export const exportOptionsSchema = z.object({
  /** The folder the records' relative image paths start from. */
  datasetDir: z.string(),
  /** More folders a relative image path is looked up in when the dataset folder lacks it (`cotStudio.imageRoots`, `--image-root`). */
  imageRoots: z.array(z.string()).default([]),
  outputPath: z.string(),
  /** The dataset file exported, which the output must not be. */
  sourcePath: z.string().optional(),
  /** Replace an output that is a FIFO, a device or a symbolic link with a new file, instead of refusing. */
  replaceOutput: z.boolean().optional(),
  /** How images are written; unset, each format's own way (`defaultImageMode`). */
  images: imageModeSchema.optional(),
  /** The folder `copy` puts the images in. */
  imagesDir: z.string().optional(),
  /** TRL stepwise: the label of a step rated 0 (OpenR counts neutral steps as correct). */
  neutralLabel: z.boolean().default(true),
  /**
   * The step formats (trl-stepwise, prm800k, visualprm-conversation): where a step's label comes from, first
   * source first; a step none of them labels ends the labelled steps. Unset: each format's own (`human`;
   * visualprm-conversation: `mc`, then `human`).
   */
  labelSources: z
    .array(labelSourceSchema, { error: LABEL_SOURCES })
    .min(1, { error: LABEL_SOURCES })
    .refine((sources) => new Set(sources).size === sources.length, { error: LABEL_SOURCES })
    .optional(),
  /** A step whose Monte Carlo score is above this is correct (VisualPRM: 0, some rollout from it reached the answer). */
  mcThreshold: z.number({ error: MC_THRESHOLD }).min(0, { error: MC_THRESHOLD }).max(1, { error: MC_THRESHOLD }).default(0),
  /** TRL SFT: keep a response with a step rated incorrect too (by default only responses without one are written). */
  keepIncorrect: z.boolean().default(false),
  /** Records whose review status is `rejected` are left out unless this is set. */
  includeRejected: z.boolean().default(false),
  /** The name of the export in `dataset_info.json` / `meta.json`; defaults to the output file's base name. */
  datasetName: z.string().optional(),
  /**
   * OpenVLThinker's filters (methods.md §6), applied before any format builds its lines. Per question and images,
   * keep only the shortest response whose final answer matches the ground truth; a question with none is dropped.
   */
  shortestCorrect: z.boolean().default(false),
  /** Drop records whose response has more words than this (OpenVLThinker: 500). */
  maxWords: z.int({ error: WORD_LIMIT }).min(1, { error: WORD_LIMIT }).optional(),
  /** Cut the reasoning from the first of these markers (case-sensitive, at a word start) to the final answer. */
  cutReflections: z.array(reflectionMarkerSchema).min(1).optional(),
});
export type ExportOptions = z.infer<typeof exportOptionsSchema>;

/** Why a record cannot be written in a format; the caller adds file and line. */
export interface Refusal {
  refusal: string;
}

export function isRefusal<T>(value: T | Refusal): value is Refusal {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'refusal' in value;
}

/** The lines of a step format's record, with where the step labels they carry came from. */
export interface LabelledLines<Line> {
  lines: Line[];
  labels: LabelCounts;
}

/** One target format: how a record becomes lines, and the schema every line must pass before it is written. */
export interface FormatExporter<Line> {
  schema: z.ZodType<Line>;
  build(input: ExportInput, options: ExportOptions, images: ExportImages): Line[] | LabelledLines<Line> | Refusal;
  /** Formats whose file holds a single kind of line (LLaMA-Factory: SFT or ranking) name the kind a record makes. */
  lineKind?(parsed: ParsedRecord): string;
  /** Preference formats that write nothing but pairs: a record's annotated pairs are lines even when it has no response. */
  pairsOnly?: true;
  /** Formats with a place for a system prompt; the others refuse a record that has one rather than drop it. */
  carriesSystem?: true;
  /** Formats for which a rejected review labels the record rather than leaving it out. */
  labelsRejected?(parsed: ParsedRecord): boolean;
  /** Formats that leave out a record they could write (TRL SFT: a response with an incorrect step), and why. */
  leavesOut?(input: ExportInput, options: ExportOptions): LeftOut | null;
}

/** Why a record gives no line without being refused: its review rejects it, or its response has an incorrect step. */
export type LeftOut = 'rejected' | 'incorrect-step';
