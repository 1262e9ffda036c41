import type { RecordSummary } from '../protocol';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const IMAGE_PLACEHOLDER = /<image>/g;

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text of a chat turn's content: a string, or the text parts of a multimodal content list. */
function contentText(content: Json | undefined): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  const texts = content.flatMap((part) => (isObject(part) && part.type === 'text' && typeof part.text === 'string' ? [part.text] : []));
  return texts.length > 0 ? texts.join('\n') : null;
}

const USER_ROLES = new Set(['human', 'user']);

function firstUserTurn(turns: Json | undefined): string | null {
  if (!Array.isArray(turns)) return null;
  for (const turn of turns) {
    if (!isObject(turn)) continue;
    const role = turn.from ?? turn.role;
    if (typeof role === 'string' && USER_ROLES.has(role)) return contentText(turn.value ?? turn.content);
  }
  return null;
}

/**
 * The first user question of a record in any of the chat shapes the product reads (sharegpt
 * `conversations`, `messages`, TRL `prompt`) or the flat ones (`question`, `problem`).
 */
export function firstUserQuestion(record: JsonObject): string | null {
  const question =
    firstUserTurn(record.conversations) ??
    firstUserTurn(record.messages) ??
    firstUserTurn(record.prompt) ??
    (typeof record.prompt === 'string' ? record.prompt : null) ??
    contentText(record.question) ??
    contentText(record.problem);
  if (question === null) return null;
  return question.replace(IMAGE_PLACEHOLDER, ' ').replace(/\s+/g, ' ').trim();
}

/** Reads one line as a record summary; a line that is not a JSON object becomes a problem, never an exception. */
export function summarizeLine(text: string, line: number): RecordSummary {
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { line, question: null, problem: `not valid JSON: ${reason}` };
  }
  if (!isObject(value)) {
    const kind = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
    return { line, question: null, problem: `a record must be a JSON object, found ${kind}` };
  }
  return { line, question: firstUserQuestion(value), problem: null };
}
