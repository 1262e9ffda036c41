import { z } from 'zod';
import { ratingSchema } from './annotations';

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

/** Whether two paths name the same place in a record. */
export const samePath = (a: JsonPath, b: JsonPath): boolean => a.length === b.length && a.every((part, i) => part === b[i]);

/** The formats the product reads; detected per record, or forced by the user. */
export const formatIdSchema = z.enum([
  'llava-cot', // conversations, gpt turn with <SUMMARY>/<CAPTION>/<REASONING>/<CONCLUSION> stages
  'mulberry', // sharegpt messages/conversations + images, `###` sections
  'think-answer', // sharegpt messages/conversations (Reason-RFT SFT, OpenVLThinker): <think>/<answer>
  'sharegpt', // sharegpt conversations/messages whose response has no recognised structure
  'r1-vl', // image_path/problem/solution/key_steps (no response: ground truth and key steps)
  'reason-rft-rl', // id/image/problem/solution (no response)
  'mmpr', // image?/question/chosen/rejected (rejected null or absent: one response, a dropout-NTP prompt)
  'trl-preference', // prompt/chosen/rejected
  'trl-stepwise', // prompt/completions/labels
  'openai-chat', // messages with image_url content parts
  'trl-completion', // prompt/completion (+ label: TRL unpaired preference, KTO)
  'sharegpt-preference', // LLaMA-Factory ranking: conversations + chosen/rejected turns
  'openai-dpo', // input.messages/preferred_output/non_preferred_output (OpenAI DPO fine-tuning)
  'visualprm', // image/question/answer/response/steps_with_score (VisualPRM400K; VL-PRM300K adds first_incorrect_step)
  'visual-process-bench', // image/question/answer/response: {steps, process_correctness}
  'prm800k', // question: {problem, ground_truth_answer}, label: {steps: [{completions, ...}], finish_reason}
  'verl', // data_source/prompt (chat)/reward_model.ground_truth (no response)
  'mm-eureka', // conversations (prompt)/answer/image_urls, or message (the chat list as JSON text)/answer (no response)
  'mmpr-prompt', // image?/question/answer (no response)
  'mulberry-search', // CoMCTS input (image/question/conversations: gpt turn = ground truth) or output (a result per model)
  'r1v-eval', // R1-V evaluation logs: question: {image_path, question, ground_truth}/model_output (<think>/<answer>)/is_correct
]);
export type FormatId = z.infer<typeof formatIdSchema>;

export const segmentKindSchema = z.enum(['stage', 'section', 'step', 'think', 'summary', 'answer', 'response']);
export type SegmentKind = z.infer<typeof segmentKindSchema>;

/**
 * The label a record gives a step itself (process-supervision data): a rating, shown and exported as the
 * step's rating until an annotator rates the step, and the Monte Carlo estimate it came from, kept beside it.
 */
export const stepLabelSchema = z.object({
  rating: ratingSchema,
  /** Fraction of the rollouts from this step that reached the answer (VisualPRM's `score`). */
  score: z.number().optional(),
  /** `num_mc_correct` of `num_mc_total` rollouts. */
  rollouts: z.object({ correct: z.number(), total: z.number() }).optional(),
  /** What kind of error the record says this step is the first of (VL-PRM300K: `Visual Elements`, `Reasoning`). */
  firstError: z.string().optional(),
});
export type StepLabel = z.infer<typeof stepLabelSchema>;

/**
 * Another version of a segment that the record itself holds (PRM800K's other completions of a step), shown
 * beside the annotations' alternatives; accepting it makes the record choose it, so no text is copied.
 */
export const sourceAlternativeSchema = z.object({
  text: z.string(),
  /** The record's own rating of it. */
  rating: ratingSchema,
  /** What the record calls it: `PRM800K completion 2`, `PRM800K human completion`. */
  origin: z.string(),
  /** How the record chooses it: the value to write at `path` (PRM800K's `chosen_completion`). */
  choose: z.object({ path: jsonPathSchema, value: z.number().int().min(0).nullable() }),
});
export type SourceAlternative = z.infer<typeof sourceAlternativeSchema>;

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
  /** The record's own label for the segment, when it carries one. */
  sourceLabel: stepLabelSchema.optional(),
  /** The other versions of the segment the record holds, when it holds any. */
  sourceAlternatives: z.array(sourceAlternativeSchema).optional(),
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
  /** The model that wrote the response, when the record names it. */
  model: z.string().optional(),
  /** Whether the record judges the response's final answer correct (a tree search's `is_correct`). */
  correct: z.boolean().optional(),
  /** The value a tree search gave the path (CoMCTS's `value`). */
  value: z.number().optional(),
});
export type Response = z.infer<typeof responseSchema>;

/** A question or reply of a chat record's conversation, as the record holds it. */
export const conversationTurnSchema = z.object({
  role: z.enum(['user', 'assistant']),
  /** The turn's text (its text parts joined by line breaks), `<image>` placeholders kept. */
  text: z.string(),
  /** The images the turn places: its own image parts, or the record's images its placeholders stand for. */
  images: z.array(z.string()),
  /** An assistant turn's reply cut into segments as the record's format cuts its first reply. */
  response: responseSchema.optional(),
});
export type ConversationTurn = z.infer<typeof conversationTurnSchema>;

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
  /**
   * A chat record that goes on after its first reply: every turn from the first question on, in order. The
   * question and `responses[0]` are its first exchange (the first assistant turn's `response` is `responses[0]`);
   * each later assistant turn is shown, checked and annotated as a reply of its own (see replies.ts).
   */
  conversation: z.array(conversationTurnSchema).optional(),
  /** The start every path of a tree search shares (CoMCTS's `prefix_prompt`), when it is not empty. */
  prefixPrompt: z.string().optional(),
  /**
   * Usually one; preference formats give `chosen` then `rejected` (or, when their prompt holds earlier exchanges,
   * the conversation's first reply then `rejected`: the chosen side is the conversation's last reply); RL formats
   * give none; a tree search one per model's path.
   */
  responses: z.array(responseSchema),
});
export type ParsedRecord = z.infer<typeof parsedRecordSchema>;
