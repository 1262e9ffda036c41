/**
 * Format adapters: each record shape the product reads becomes a ParsedRecord whose segments point at
 * exact spans of the record's strings.
 *
 * Detection, most specific shape first:
 * 0. Process-supervision data, whose labelled steps are the response: `steps_with_score` is VisualPRM
 *    (VisualPRM400K, and VL-PRM300K, which also holds a training conversation), and so is VisualPRM's training
 *    conversation alone (`### Question:` … `### Solution Process:` steps answered `+` / `-`); a `response` object with
 *    `steps` is VisualProcessBench; `question` and `label` objects are PRM800K's label lines. A `question`
 *    object beside a `model_output` string is R1-V's evaluation log.
 *    RL prompts that would read as other shapes: a `prompt` list with a `reward_model` is verl; a chat list
 *    with `image_urls`, or a `message` string (the chat list as JSON text) with an `answer`, is MM-Eureka.
 *    Mulberry's CoMCTS files: per-model results (`response` with `valid` / `is_correct`) or `prefix_prompt`
 *    (output), or a `question` string beside a chat list of one question that restates it and one reply ending
 *    in an `Answer:` line (input, whose gpt turn is the ground truth).
 * 1. Keys that only one shape has: `prompt` + `completions` is TRL stepwise; `prompt` + `completion` is TRL
 *    prompt-completion (with `label`, its unpaired preference form); `chosen` + `rejected` is a preference pair:
 *    TRL when it has a `prompt`, MMPR when it has a `question`, LLaMA-Factory ranking when the prompt is a chat
 *    list, else TRL with the prompt implicit in the sides (these outrank a chat list);
 *    `question` + `chosen` alone is MMPR's dropout-NTP prompt.
 * 2. A non-empty `messages` / `conversations` list: OpenAI chat when any turn's content is a list of parts;
 *    otherwise the first reply's markup picks LLaVA-CoT stage tags > `<think>`/`<answer>` tags > Mulberry
 *    `###` headers > plain sharegpt (a chat without a reply is sharegpt too: a prompt waiting for one).
 *    OpenAI chat still splits its reply by whichever of those markups it carries.
 * 3. `problem` with `key_steps` or `image_path` is R1-VL; `problem` with `solution` or `answer` is
 *    Reason-RFT RL (OpenVLThinker's and EasyR1's RL records and ViRL39K, `problem/answer/images`, read the same way).
 * 4. A `question` string with `answer` or `answer_gt` is an MMPR prompt record.
 * An empty chat list (`"conversations": []`) matches nothing: there is neither question nor response.
 */
import { type FormatId, isJsonObject, type JsonObject, type ParsedRecord } from '../record';
import { readRecord, RecordError } from '../recordEdit';
import { CHAT_KEYS, readChat } from './chat';
import { detectChatFormat, parseChat } from './chatFormats';
import { parseR1vEval } from './evaluation';
import { parseMmpr, parseMmprPrompt } from './mmpr';
import { isMulberrySearch, parseMulberrySearch } from './mulberrySearch';
import { isVisualPrmConversation, parsePrm800k, parseVisualPrm, parseVisualProcessBench } from './processSupervision';
import { parseMmEureka, parseProblem, parseVerl } from './rl';
import { parseOpenaiDpo } from './openaiDpo';
import { parseSharegptPreference } from './sharegptPreference';
import { parseTrlCompletion, parseTrlPreference, parseTrlStepwise } from './trl';

export { CHAT_KEYS, readChat, turnText } from './chat';
export { IMAGE_KEYS } from './fields';
export { findHeaders, type Header, SECTIONS } from './sections';
export { STAGES, stageTags, unknownStageNames } from './stages';
export { structureOf } from './structure';

const PARSERS: Record<FormatId, (record: JsonObject) => ParsedRecord> = {
  'llava-cot': (record) => parseChat(record, 'llava-cot'),
  mulberry: (record) => parseChat(record, 'mulberry'),
  'think-answer': (record) => parseChat(record, 'think-answer'),
  sharegpt: (record) => parseChat(record, 'sharegpt'),
  'openai-chat': (record) => parseChat(record, 'openai-chat'),
  mmpr: parseMmpr,
  'trl-preference': parseTrlPreference,
  'trl-stepwise': parseTrlStepwise,
  'r1-vl': (record) => parseProblem(record, 'r1-vl'),
  'reason-rft-rl': (record) => parseProblem(record, 'reason-rft-rl'),
  'trl-completion': parseTrlCompletion,
  'sharegpt-preference': parseSharegptPreference,
  'openai-dpo': parseOpenaiDpo,
  visualprm: parseVisualPrm,
  'visual-process-bench': parseVisualProcessBench,
  prm800k: parsePrm800k,
  verl: parseVerl,
  'mm-eureka': parseMmEureka,
  'mmpr-prompt': parseMmprPrompt,
  'mulberry-search': parseMulberrySearch,
  'r1v-eval': parseR1vEval,
};

export function detectFormat(record: JsonObject): FormatId | null {
  const has = (key: string): boolean => key in record;
  if (Array.isArray(record.steps_with_score) || isVisualPrmConversation(record)) return 'visualprm';
  if (isJsonObject(record.response) && 'steps' in record.response) return 'visual-process-bench';
  if (isJsonObject(record.question) && isJsonObject(record.label)) return 'prm800k';
  if (isJsonObject(record.question) && typeof record.model_output === 'string') return 'r1v-eval';
  if (Array.isArray(record.prompt) && isJsonObject(record.reward_model)) return 'verl';
  if (has('input') && has('preferred_output') && has('non_preferred_output')) return 'openai-dpo';
  if (has('prompt') && has('completions')) return 'trl-stepwise';
  if (has('prompt') && has('completion')) return 'trl-completion';
  if (has('chosen') && has('rejected')) {
    if (has('prompt')) return 'trl-preference';
    if (has('question')) return 'mmpr';
    if (CHAT_KEYS.some(has)) return 'sharegpt-preference';
    return 'trl-preference';
  }
  if (has('chosen') && has('question')) return 'mmpr';
  if (has('image_urls') && readChat(record) !== null) return 'mm-eureka';
  if (typeof record.message === 'string' && has('answer')) return 'mm-eureka';
  if (isMulberrySearch(record)) return 'mulberry-search';
  const chat = detectChatFormat(record);
  if (chat !== null) return chat;
  if (has('problem')) {
    if (has('key_steps') || has('image_path')) return 'r1-vl';
    if (has('solution') || has('answer')) return 'reason-rft-rl';
  }
  if (typeof record.question === 'string' && (has('answer') || has('answer_gt') || has('ground_truth'))) return 'mmpr-prompt';
  return null;
}

const EXPECTED_SHAPES =
  'messages or conversations (chat), question/chosen/rejected (MMPR), prompt/chosen/rejected or chosen/rejected (TRL preference), ' +
  'conversations/chosen/rejected (LLaMA-Factory ranking), prompt/completion (TRL prompt-completion, with label: KTO), ' +
  'input/preferred_output/non_preferred_output (OpenAI DPO), ' +
  'prompt/completions (TRL stepwise), problem/key_steps or image_path/problem (R1-VL), problem/solution (Reason-RFT RL), ' +
  'question/response/steps_with_score or conversations of steps answered +/- (VisualPRM), response.steps/process_correctness (VisualProcessBench), question.problem/label.steps (PRM800K), ' +
  'prompt/reward_model (verl), conversations/answer/image_urls or message/answer (MM-Eureka), question.question/model_output (R1-V evaluation logs), question/answer or question/ground_truth (a question with its answer: MMPR and R1-V prompts), ' +
  'question/conversations or per-model results (Mulberry tree search)';

/** Why detection found no format: the keys the record has and the shapes that were looked for. */
export function unknownFormatReason(record: JsonObject): string {
  const keys = Object.keys(record);
  const emptyChat = CHAT_KEYS.find((key) => {
    const turns = record[key];
    return Array.isArray(turns) && turns.length === 0;
  });
  const found = keys.length > 0 ? `found keys ${keys.join(', ')}` : 'found no keys';
  return `unknown format: ${found}${emptyChat ? ` (${emptyChat} is an empty list)` : ''}; expected ${EXPECTED_SHAPES}`;
}

/** Reads a record as `forced`, or as its detected format; the error names the missing or invalid field. */
export function parseRecord(record: JsonObject, forced?: FormatId): ParsedRecord | { error: string } {
  const format = forced ?? detectFormat(record);
  if (format === null) return { error: unknownFormatReason(record) };
  try {
    return PARSERS[format](record);
  } catch (error) {
    if (error instanceof RecordError) return { error: `not a ${format} record: ${error.message}` };
    throw error;
  }
}

/** A line's record as `forced` or its detected format reads it; null when the line holds no record an adapter reads. */
export function parseLine(lineText: string, forced?: FormatId): ParsedRecord | null {
  try {
    const parsed = parseRecord(readRecord(lineText), forced);
    return 'error' in parsed ? null : parsed;
  } catch (error) {
    if (error instanceof RecordError) return null;
    throw error;
  }
}
