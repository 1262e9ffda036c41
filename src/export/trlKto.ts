import { z } from 'zod';
import { isPreferenceRecord, preferences } from './pairs';
import { firstResponseVerdict } from './steps';
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

/** A completion and whether it is desirable; a segment-level pair's completion continues the response text `prefix`. */
interface Labelled {
  prefix: string;
  completion: string;
  label: boolean;
}

/**
 * The label of the record's own response: the reviewer's verdict (accepted: true, rejected: false), else its
 * steps' (TRL merges step labels with a logical AND): false when a rated step is incorrect, true when every
 * step is rated correct; else the record's own `label` (KTO data read back); null when none decides. An accepted response with a step rated incorrect
 * contradicts itself and is refused, naming the steps.
 */
function responseLabel(input: ExportInput, options: ExportOptions): boolean | null | Refusal {
  const verdict = firstResponseVerdict(input, options.neutralLabel);
  const status = input.annotations.review.status;
  if (status === 'accepted' && verdict.incorrect.length > 0) {
    return { refusal: `the review accepts the record but step ${verdict.incorrect.join(', ')} is rated incorrect; change the rating or the review` };
  }
  if (status === 'accepted') return true;
  if (status === 'rejected') return false;
  if (verdict.incorrect.length > 0) return false;
  if (verdict.steps > 0 && verdict.rated === verdict.steps) return true;
  return input.parsed.label ?? null;
}

/** The record's labelled completions: its response's label, then both sides of each preference (chosen true, rejected false). */
function labelledCompletions(input: ExportInput, options: ExportOptions): Labelled[] | Refusal {
  const { parsed, annotations } = input;
  const labelled: Labelled[] = [];
  // A preference record's responses are labelled by its pair.
  if (!isPreferenceRecord(parsed) && parsed.responses.length > 0) {
    const label = responseLabel(input, options);
    if (isRefusal(label)) return label;
    if (label !== null) labelled.push({ prefix: '', completion: parsed.responses[0].text, label });
  }
  if (isPreferenceRecord(parsed) || annotations.preferencePairs.length > 0) {
    const found = preferences(parsed, annotations);
    if (isRefusal(found)) return found;
    for (const { prefix, chosen, rejected } of found) labelled.push({ prefix, completion: chosen, label: true }, { prefix, completion: rejected, label: false });
  }
  return distinct(labelled);
}

/** Each completion once; one labelled both ways is refused, since a trainer would be told both. */
function distinct(labelled: Labelled[]): Labelled[] | Refusal {
  const seen = new Map<string, boolean>();
  const rows: Labelled[] = [];
  for (const row of labelled) {
    const key = JSON.stringify([row.prefix, row.completion]);
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
 * TRL unpaired preference (KTO), conversational: `{prompt, completion, label}` rows with `images` when the record
 * has any. A response is labelled by its review or its step ratings, and every preference pair gives a true
 * row (chosen) and a false one (rejected), as TRL's `unpair_preference_dataset` does. A rejected record is a
 * false row rather than left out, except a preference record, whose pair the rejection is about.
 */
export const trlKto: FormatExporter<TrlKtoLine> = {
  schema: trlKtoLineSchema,
  pairsOnly: true,
  carriesSystem: true,
  labelsRejected: (parsed) => !isPreferenceRecord(parsed),
  build(input, options, images) {
    const prompt = trlPrompt(input.parsed, images);
    if (isRefusal(prompt)) return prompt;
    const rows = labelledCompletions(input, options);
    if (isRefusal(rows)) return rows;
    if (rows.length === 0) {
      return { refusal: 'no label: the record is neither accepted nor rejected, not every step of its response is rated, and it has no preference pair' };
    }
    const vision = prompt.images !== undefined;
    return rows.map(({ prefix, completion, label }) => {
      const line: TrlKtoLine = {
        prompt: prefix === '' ? prompt.messages : [...prompt.messages, trlMessage('assistant', prefix, vision)],
        completion: [trlMessage('assistant', completion, vision)],
        label,
      };
      return vision ? { ...line, images: prompt.images } : line;
    });
  },
};
