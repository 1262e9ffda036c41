import { isJsonObject, type Json, type JsonObject, type ParsedRecord, type Response } from '../record';
import { firstExchange, readChat, turnText } from './chat';
import { recordId, recordImages, requireString } from './fields';
import { wholeSegment } from './segment';
import { buildResponse } from './structure';

/** The per-model results of a CoMCTS search: keys whose object carries `valid` or `is_correct`. */
function searchResults(record: JsonObject): [string, JsonObject][] {
  return Object.entries(record).flatMap(([key, value]: [string, Json]): [string, JsonObject][] =>
    isJsonObject(value) && ('valid' in value || 'is_correct' in value) ? [[key, value]] : [],
  );
}

/** Whether a record is a CoMCTS search file's: an output (per-model results, `prefix_prompt`) or an input (`question` beside its conversation). */
export function isMulberrySearch(record: JsonObject): boolean {
  if ('prefix_prompt' in record || searchResults(record).length > 0) return true;
  return typeof record.question === 'string' && readChat(record) !== null;
}

function searchResponse(model: string, result: JsonObject): Response | null {
  const text = result.response;
  if (result.valid === -1 || typeof text !== 'string') return null;
  const response = buildResponse('response', 'mulberry-search', [{ text, path: [model, 'response'] }], (ref) => [wholeSegment(ref)]);
  const correct = result.is_correct === 1 ? true : result.is_correct === -1 ? false : undefined;
  return { ...response, model, ...(correct === undefined ? {} : { correct }) };
}

/**
 * Mulberry's CoMCTS files. The input's gpt turn is the ground truth the search checks answers against
 * (`Answer:B`), not a response. The output adds one result per model; each valid path is a response with its
 * model and correctness, correct paths first (the one an SFT export writes), invalid ones (`valid: -1`)
 * left out. `prefix_prompt` and the paths' `value` stay in the record.
 */
export function parseMulberrySearch(record: JsonObject): ParsedRecord {
  const chat = readChat(record);
  const reply = chat ? firstExchange(chat.turns).reply : null;
  const responses = searchResults(record).flatMap(([model, result]) => searchResponse(model, result) ?? []);
  return {
    format: 'mulberry-search',
    id: recordId(record),
    question: requireString(record, 'question'),
    images: recordImages(record),
    groundTruth: reply ? turnText(reply) : null,
    keySteps: null,
    responses: [...responses.filter((response) => response.correct === true), ...responses.filter((response) => response.correct !== true)],
  };
}
