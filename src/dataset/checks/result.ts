import { z } from 'zod';
import type { JsonPath } from '../record';

export const checkIdSchema = z.enum([
  'unparseable', // not JSON, or JSON that is not an object
  'encoding', // the line's bytes are not UTF-8: readers see U+FFFD, and CoT Studio will not rewrite the line
  'duplicate-key', // an object gives a key twice: JSON.parse keeps the last value and drops the others unseen
  'number-overflow', // a number beyond a double's range: read as Infinity, written back as null
  'unknown-format', // no format matches, or the record fails its format's parser
  'stage-grammar', // LLaVA-CoT: four stages, each opened and closed, in order
  'section-grammar', // Mulberry: `###` headers in order, steps 1..n
  'think-answer-form', // Reason-RFT / OpenVLThinker: <think>…</think><answer>…</answer>
  'image-token-count', // `<image>` tokens in the prompt vs images of the record
  'image-missing', // an image path that names no file it may use: missing, outside the allowed folders, or not an image
  'empty-answer', // the final answer is blank, or a needed response is missing
  'reward', // a reward that reads the ground truth scores below passing (a wrong final answer)
  'annotations', // the record's `cot_studio` block does not read: a malformed field or a newer version
  'turns', // a chat record holds a system prompt or turns after its first exchange
  'linked-text', // a string that repeats a segment (VisualPRM's `response`) no longer holds it: an edit of the segment leaves it as it is
]);
export type CheckId = z.infer<typeof checkIdSchema>;

export const severitySchema = z.enum(['error', 'warning']);
export type Severity = z.infer<typeof severitySchema>;

export const checkResultSchema = z.object({
  check: checkIdSchema,
  severity: severitySchema,
  /** Starts with the field it is about: `conversations[1].value: <CONCLUSION> has no closing tag`. */
  message: z.string(),
  /** [start, end) in the raw line text of the value the message is about (a string: its literal, quotes included). */
  range: z.tuple([z.number().int().min(0), z.number().int().min(0)]).optional(),
});
export type CheckResult = z.infer<typeof checkResultSchema>;

/** A check's answer before it is placed in the line: the field it names, null for the record as a whole. */
export interface Finding {
  check: CheckId;
  severity: Severity;
  field: JsonPath | null;
  problem: string;
  /** [start, end) in the raw line when the problem is narrower than the field's whole value. */
  at?: [number, number];
}
