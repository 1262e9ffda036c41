import { z } from 'zod';
import { assistantReplies } from '../dataset/replies';
import { isPreferenceRecord, oncePerTurn, preferences } from './pairs';
import { incorrectSteps, replyVerdicts, type StepVerdict } from './steps';
import { imagePartsMatch, trlMessage, trlMessageSchema, trlPrompt } from './trlContent';
import { isRefusal, type ExportInput, type ExportOptions, type FormatExporter, type Refusal } from './types';

const trlKtoLineSchema = z
  .object({
    prompt: z.array(trlMessageSchema).min(1),
    completion: z.array(trlMessageSchema).length(1),
    label: z.boolean(),
    images: z.array(z.string()).optional(),
  })
  .strict()
  .refine((line) => imagePartsMatch([...line.prompt, ...line.completion], line.images), 'one image part per entry of images');
type TrlKtoLine = z.infer<typeof trlKtoLineSchema>;

/** A completion of reply `turn` and whether it is desirable; a segment-level pair's completion continues the reply text `prefix`. */
interface Labelled {
  turn: number;
  prefix: string;
  completion: string;
  label: boolean;
}

/**
 * The label of a reply of the record: the reviewer's verdict, which is on the whole record and so on every reply
 * (accepted: true, rejected: false), else the reply's steps' (TRL merges step labels with a logical AND): false
 * when a rated step is incorrect, true when every step is rated correct; else, for the last reply (the
 * completion it is on), the record's own `label` (KTO data read back); null when none decides, and the reply is
 * not written. An accepted record with a step rated incorrect contradicts itself and is refused, naming the step
 * and its turn.
 */
function replyLabel(input: ExportInput, verdict: StepVerdict): boolean | null | Refusal {
  const status = input.annotations.review.status;
  if (status === 'accepted' && verdict.incorrect.length > 0) {
    return { refusal: `the review accepts the record but ${incorrectSteps(verdict)} is rated incorrect; change the rating or the review` };
  }
  if (status === 'accepted') return true;
  if (status === 'rejected') return false;
  if (verdict.incorrect.length > 0) return false;
  if (verdict.steps > 0 && verdict.rated === verdict.steps) return true;
  return verdict.reply.turn === assistantReplies(input.parsed).length - 1 ? (input.parsed.label ?? null) : null;
}

/** The record's labelled completions: each reply's label in turn order, then both sides of each preference (chosen true, rejected false). */
function labelledCompletions(input: ExportInput, options: ExportOptions): Labelled[] | Refusal {
  const { parsed, annotations } = input;
  const labelled: Labelled[] = [];
  // A preference record's responses are labelled by its pair.
  if (!isPreferenceRecord(parsed)) {
    for (const verdict of replyVerdicts(input, options.neutralLabel)) {
      const label = replyLabel(input, verdict);
      if (isRefusal(label)) return label;
      if (label !== null) labelled.push({ turn: verdict.reply.turn, prefix: '', completion: verdict.reply.response.text, label });
    }
  }
  if (isPreferenceRecord(parsed) || annotations.preferencePairs.length > 0) {
    const found = preferences(parsed, annotations);
    if (isRefusal(found)) return found;
    for (const { turn, prefix, chosen, rejected } of found)
      labelled.push({ turn, prefix, completion: chosen, label: true }, { turn, prefix, completion: rejected, label: false });
  }
  return distinct(labelled);
}

/** Each completion once; one labelled both ways is refused, since a trainer would be told both. */
function distinct(labelled: Labelled[]): Labelled[] | Refusal {
  const seen = new Map<string, boolean>();
  const rows: Labelled[] = [];
  for (const row of labelled) {
    const key = JSON.stringify([row.turn, row.prefix, row.completion]);
    const earlier = seen.get(key);
    if (earlier === undefined) {
      seen.set(key, row.label);
      rows.push(row);
    } else if (earlier !== row.label) {
      const shown = row.completion.length > 60 ? `${row.completion.slice(0, 60)}...` : row.completion;
      return { refusal: `the completion "${shown}" is labelled both desirable and undesirable (by the review or ratings and a preference pair)` };
    }
  }
  return rows;
}

/**
 * TRL unpaired preference (KTO), conversational: `{prompt, completion, label}` rows, the prompt what the reply
 * answers (the system prompt, then the conversation up to the reply, its question last) with `images` when it
 * places any. Each reply of a conversation with a label is a row of its own (its review or its step ratings
 * decide it, `replyLabel`), and every preference pair gives a true row (chosen) and a false one (rejected), as
 * TRL's `unpair_preference_dataset` does. A rejected record is false rows rather than left out, except a
 * preference record, whose pair the rejection is about.
 */
export const trlKto: FormatExporter<TrlKtoLine> = {
  schema: trlKtoLineSchema,
  pairsOnly: true,
  carriesSystem: true,
  labelsRejected: (parsed) => !isPreferenceRecord(parsed),
  build(input, options, images) {
    const rows = labelledCompletions(input, options);
    if (isRefusal(rows)) return rows;
    if (rows.length === 0) {
      return { refusal: 'no label: the record is neither accepted nor rejected, not every step of its response is rated, and it has no preference pair' };
    }
    const promptOf = oncePerTurn((turn) => trlPrompt(input.parsed, images, turn));
    const lines: TrlKtoLine[] = [];
    for (const { turn, prefix, completion, label } of rows) {
      const prompt = promptOf(turn);
      if (isRefusal(prompt)) return prompt;
      const line: TrlKtoLine = {
        prompt: prefix === '' ? prompt.messages : [...prompt.messages, trlMessage('assistant', prefix, prompt.vision)],
        completion: [trlMessage('assistant', completion, prompt.vision)],
        label,
      };
      lines.push(prompt.images === undefined ? line : { ...line, images: prompt.images });
    }
    return lines;
  },
};
