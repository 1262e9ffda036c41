import { isJsonObject, type JsonObject, type ParsedRecord, type Response } from '../record';
import { firstExchange, readChat, type Turn, turnText } from './chat';
import { recordId, recordImages, requireString } from './fields';
import { wholeSegment } from './segment';
import { buildResponse } from './structure';
import { flatMapped } from '../flatMapped';

/**
 * The per-model results of a CoMCTS search: keys whose object holds a path (`response`) with `valid` or
 * `is_correct`; a bare verdict object (an evaluation's `{"is_correct": true}`) is no search result.
 */
function searchResults(record: JsonObject): [string, JsonObject][] {
  // Every record of a file is tested for these during detection: its keys are walked, not copied into entries.
  const results: [string, JsonObject][] = [];
  for (const key in record) {
    const value = record[key];
    if (isJsonObject(value) && typeof value.response === 'string' && ('valid' in value || 'is_correct' in value)) results.push([key, value]);
  }
  return results;
}

/** Whether a reply is a ground truth as CoMCTS checks paths against it: its last line is `Answer:B` (alone, or after a solution). */
function isGroundTruth(reply: string): boolean {
  const lastLine = reply.trim().split('\n').pop() ?? '';
  return /^\s*Answer\s*:/.test(lastLine);
}

/**
 * A CoMCTS input: `question`, and a conversation of exactly one question turn, which restates `question`
 * (after a prompt), and one reply, the ground truth. A chat record that merely carries a `question` field
 * holds a response in its reply, or more turns, and is read as the chat it is.
 */
function isSearchInput(record: JsonObject): boolean {
  const question = typeof record.question === 'string' ? record.question.trim() : '';
  const turns = readChat(record)?.turns;
  if (question === '' || turns?.length !== 2) return false;
  const [prompt, reply] = turns as [Turn, Turn];
  return prompt.role === 'user' && reply.role === 'assistant' && turnText(prompt).includes(question) && isGroundTruth(turnText(reply));
}

/** Whether a record is a CoMCTS search file's: an output (per-model results, `prefix_prompt`) or an input. */
export function isMulberrySearch(record: JsonObject): boolean {
  return 'prefix_prompt' in record || searchResults(record).length > 0 || isSearchInput(record);
}

function searchResponse(model: string, result: JsonObject): Response | null {
  const text = result.response;
  if (result.valid === -1 || typeof text !== 'string') return null;
  const response = buildResponse('response', 'mulberry-search', [{ text, path: [model, 'response'] }], (ref) => [wholeSegment(ref)]);
  const correct = result.is_correct === 1 ? true : result.is_correct === -1 ? false : undefined;
  const value = typeof result.value === 'number' ? result.value : undefined;
  return { ...response, model, ...(correct === undefined ? {} : { correct }), ...(value === undefined ? {} : { value }) };
}

/**
 * Mulberry's CoMCTS files. The input's gpt turn is the ground truth the search checks answers against
 * (`Answer:B`), not a response. The output adds one result per model; each valid path is a response with its
 * model, correctness and value, correct paths first (the one an SFT export writes), invalid ones (`valid: -1`)
 * left out; `prefix_prompt`, the start the paths share, is read beside them.
 */
export function parseMulberrySearch(record: JsonObject): ParsedRecord {
  const chat = readChat(record);
  const reply = chat ? firstExchange(chat.turns).reply : null;
  const responses = flatMapped(searchResults(record), ([model, result]) => {
    const response = searchResponse(model, result);
    return response ? [response] : [];
  });
  const prefix = record.prefix_prompt;
  return {
    format: 'mulberry-search',
    id: recordId(record),
    question: requireString(record, 'question'),
    images: recordImages(record),
    groundTruth: reply ? turnText(reply) : null,
    keySteps: null,
    ...(typeof prefix === 'string' && prefix !== '' ? { prefixPrompt: prefix } : {}),
    responses: [...responses.filter((response) => response.correct === true), ...responses.filter((response) => response.correct !== true)],
  };
}
