import { z } from 'zod';
import type { Annotations } from '../dataset/annotations';
import type { JsonObject, ParsedRecord } from '../dataset/record';

/** The export targets; field names of each are in docs (formats.md). */
export const exportFormatSchema = z.enum([
  'trl-sft',
  'trl-dpo',
  'trl-stepwise',
  'llamafactory-sharegpt',
  'openai-chat',
  'openai-dpo',
  'prm800k',
  'mmpr',
  'mulberry',
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

export const exportOptionsSchema = z.object({
  /** The folder the records' relative image paths start from. */
  datasetDir: z.string(),
  outputPath: z.string(),
  /** How OpenAI exports carry images; the other targets always write paths. */
  images: z.enum(['path', 'data-uri']).default('path'),
  /** TRL stepwise: the label of a step rated 0 (OpenR counts neutral steps as correct). */
  neutralLabel: z.boolean().default(true),
  /** Records whose review status is `rejected` are left out unless this is set. */
  includeRejected: z.boolean().default(false),
  /** The name of the export in `dataset_info.json` / `meta.json`; defaults to the output file's base name. */
  datasetName: z.string().optional(),
});
export type ExportOptions = z.infer<typeof exportOptionsSchema>;

/** Why a record cannot be written in a format; the caller adds file and line. */
export interface Refusal {
  refusal: string;
}

export function isRefusal<T>(value: T | Refusal): value is Refusal {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'refusal' in value;
}

/** One target format: how a record becomes lines, and the schema every line must pass before it is written. */
export interface FormatExporter<Line> {
  schema: z.ZodType<Line>;
  build(input: ExportInput, options: ExportOptions): Line[] | Refusal;
  /** Formats whose file holds a single kind of line (LLaMA-Factory: SFT or ranking) name the kind a record makes. */
  lineKind?(parsed: ParsedRecord): string;
}
