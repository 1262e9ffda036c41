import { z } from 'zod';

/** JSON values as records hold them. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isJsonObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What kind of JSON value something is, for messages: `an array`, `a string`, `null`. */
export function describeJson(value: Json | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Where a value sits inside a record, as jsonc-parser addresses it: keys and array indices. */
export const jsonPathSchema = z.array(z.union([z.string(), z.number().int().min(0)]));
export type JsonPath = z.infer<typeof jsonPathSchema>;

/** The formats the product reads; detected per record, or forced by the user. */
export const formatIdSchema = z.enum([
  'llava-cot', // conversations, gpt turn with <SUMMARY>/<CAPTION>/<REASONING>/<CONCLUSION> stages
  'mulberry', // sharegpt messages/conversations + images, `###` sections
  'think-answer', // sharegpt messages/conversations (Reason-RFT SFT, OpenVLThinker): <think>/<answer>
  'sharegpt', // sharegpt conversations/messages whose response has no recognised structure
  'r1-vl', // image_path/problem/solution/key_steps (no response: ground truth and key steps)
  'reason-rft-rl', // id/image/problem/solution (no response)
  'mmpr', // image/question/chosen/rejected
  'trl-preference', // prompt/chosen/rejected
  'trl-stepwise', // prompt/completions/labels
  'openai-chat', // messages with image_url content parts
  'trl-completion', // prompt/completion (+ label: TRL unpaired preference, KTO)
  'sharegpt-preference', // LLaMA-Factory ranking: conversations + chosen/rejected turns
]);
export type FormatId = z.infer<typeof formatIdSchema>;

export const segmentKindSchema = z.enum(['stage', 'section', 'step', 'think', 'summary', 'answer', 'response']);
export type SegmentKind = z.infer<typeof segmentKindSchema>;

/**
 * One editable piece of a response: a LLaVA-CoT stage, a Mulberry `###` section or step, the think,
 * summary or answer part of a trace, a TRL completion step, or the whole response when it has no structure.
 */
export const segmentSchema = z.object({
  kind: segmentKindSchema,
  /** As shown to the user: `SUMMARY`, `Step 2`, `Image Description`, `think`, `summary`, `answer`, `response`. */
  label: z.string(),
  /** The segment's text (inside its tags, after its header), exactly as it stands in the string. */
  text: z.string(),
  /** The JSON string that holds the segment. */
  path: jsonPathSchema,
  /** [start, end) of `text` in that string (UTF-16 code units of the decoded string). */
  span: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
});
export type Segment = z.infer<typeof segmentSchema>;

/** Which response of a record: the only one, or a side of a preference pair. */
export const responseRoleSchema = z.enum(['response', 'chosen', 'rejected']);
export type ResponseRole = z.infer<typeof responseRoleSchema>;

export const responseSchema = z.object({
  role: responseRoleSchema,
  /** The whole response text as one string (for TRL stepwise: the completions joined by blank lines). */
  text: z.string(),
  segments: z.array(segmentSchema),
});
export type Response = z.infer<typeof responseSchema>;

/** A record read through its format adapter. */
export const parsedRecordSchema = z.object({
  format: formatIdSchema,
  id: z.string().nullable(),
  /** The first user question, `<image>` placeholders kept (checks count them). */
  question: z.string().nullable(),
  /** The system prompt of a chat record (its system turns before the question, or sharegpt's `system` field). */
  system: z.string().optional(),
  /** Image paths as the record gives them (relative to the dataset folder or an image root). */
  images: z.array(z.string()),
  /** The record's own reference answer, when it has one (`solution`, `answer`, `answer_gt`, ...). */
  groundTruth: z.string().nullable(),
  /** R1-VL key steps: each step is a list of acceptable alternatives. */
  keySteps: z.array(z.array(z.string())).nullable(),
  /**
   * The source's own verdict on the response, where the format has one (TRL unpaired preference's and
   * LLaMA-Factory KTO's `label`): false marks a completion to train away from, never an SFT target.
   */
  label: z.boolean().optional(),
  /** Usually one; preference formats give `chosen` then `rejected`; RL formats give none. */
  responses: z.array(responseSchema),
});
export type ParsedRecord = z.infer<typeof parsedRecordSchema>;
