import { llamaFactory } from './llamaFactory';
import { mmpr } from './mmpr';
import { mulberry } from './mulberry';
import { openaiChat } from './openaiChat';
import { openaiDpo } from './openaiDpo';
import { prm800k } from './prm800k';
import { ExportImages } from './images';
import { trlDpo } from './trlDpo';
import { trlKto } from './trlKto';
import { trlSft } from './trlSft';
import { trlStepwise } from './trlStepwise';
import { turnsLostRefusal } from './turns';
import { type ExportFormat, type ExportInput, type ExportOptions, type FormatExporter, isRefusal, type LabelCounts, type LeftOut, type Refusal } from './types';
import { visualPrm, visualPrmConversation } from './visualPrm';

export const EXPORTERS: { [Format in ExportFormat]: FormatExporter<object> } = {
  'trl-sft': trlSft,
  'trl-dpo': trlDpo,
  'trl-stepwise': trlStepwise,
  'trl-kto': trlKto,
  'llamafactory-sharegpt': llamaFactory,
  'openai-chat': openaiChat,
  'openai-dpo': openaiDpo,
  prm800k,
  mmpr,
  mulberry,
  visualprm: visualPrm,
  'visualprm-conversation': visualPrmConversation,
};

/** Targets that train on the record's first response as the answer to imitate. */
const SUPERVISED: ReadonlySet<ExportFormat> = new Set(['trl-sft', 'llamafactory-sharegpt', 'openai-chat', 'mulberry']);

/** Records the reviewer rejected are left out unless the export asks for them. */
export function leftOutByReview(input: ExportInput, options: ExportOptions): boolean {
  return !options.includeRejected && input.annotations.review.status === 'rejected';
}

/**
 * The lines one record becomes in a format: none for a record the reviewer rejected (unless asked for, or the
 * format makes the rejection a label) or one the format leaves out, a refusal naming the reason for a record
 * the format cannot express, else one or more lines, each checked against the format's schema. Lines are built
 * from the parsed record, so no annotation key reaches them. `images` is the export's (copies it plans are
 * written by `exportDataset`); without it the record's images are written as `options` say. The step formats
 * say where the step labels of the lines came from.
 */
export function exportRecord(
  format: ExportFormat,
  input: ExportInput,
  options: ExportOptions,
  images: ExportImages = new ExportImages(format, options),
): { lines: object[]; labels?: LabelCounts } | { leftOut: LeftOut } | Refusal {
  const exporter = EXPORTERS[format];
  if (leftOutByReview(input, options) && exporter.labelsRejected?.(input.parsed) !== true) return { leftOut: 'rejected' };
  // An RL prompt has no response of its own, but may hold pairs sampled for its question.
  const pairsOnly = exporter.pairsOnly === true && input.annotations.preferencePairs.length > 0;
  if (input.parsed.responses.length === 0 && !pairsOnly) {
    return { refusal: `${format} needs a response and a ${input.parsed.format} record has none (an RL prompt: question and answer only)` };
  }
  if (SUPERVISED.has(format) && input.parsed.label === false) {
    return { refusal: `the record labels its response undesirable (label: false); ${format} would train on it as a target` };
  }
  if (SUPERVISED.has(format) && input.parsed.responses[0]?.correct === false) {
    return { refusal: `${format} would train on a wrong answer: no response of the record is judged correct` };
  }
  const lost = turnsLostRefusal(format, input);
  if (lost) return lost;
  if (input.parsed.system !== undefined && exporter.carriesSystem !== true) {
    return { refusal: `${format} has no place for the record's system prompt, which would be lost` };
  }
  const leftOut = exporter.leavesOut?.(input, options) ?? null;
  if (leftOut !== null) return { leftOut };
  const built = exporter.build(input, options, images);
  if (isRefusal(built)) return built;
  const { lines: made, labels } = Array.isArray(built) ? { lines: built, labels: undefined } : built;
  const lines: object[] = [];
  for (const line of made) {
    const checked = exporter.schema.safeParse(line);
    if (!checked.success) {
      const issues = checked.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
      return { refusal: `the ${format} line does not match the format: ${issues.join('; ')}` };
    }
    lines.push(checked.data);
  }
  return labels === undefined ? { lines } : { lines, labels };
}
