import { describeJson, isJsonObject, type JsonObject, type ParsedRecord } from '../record';
import { RecordError } from '../recordEdit';
import { readChat, systemPrompt, turnText } from './chat';
import { earlierExchanges } from './earlierExchanges';
import { groundTruth, recordId, recordImages } from './fields';
import { wholeSegment } from './segment';
import { buildResponse } from './structure';
import { flatMapped } from '../flatMapped';

/** A side of a LLaMA-Factory ranking record: a `{"from": "gpt", "value": ...}` turn (or a plain string). */
function readSide(record: JsonObject, role: 'chosen' | 'rejected') {
  const value = record[role];
  if (typeof value === 'string') return [{ text: value, path: [role] }];
  if (isJsonObject(value) && typeof value.value === 'string') return [{ text: value.value, path: [role, 'value'] }];
  if (isJsonObject(value) && typeof value.content === 'string') return [{ text: value.content, path: [role, 'content'] }];
  throw new RecordError(`${role}: expected a {"from": "gpt", "value": ...} turn, found ${describeJson(value)}`);
}

/**
 * LLaMA-Factory's preference data (`"ranking": true` in dataset_info.json): the conversation up to the question,
 * then the chosen and the rejected assistant turn as objects of their own; a conversation with earlier exchanges
 * is read with the chosen turn as its last reply (`earlierExchanges`).
 */
export function parseSharegptPreference(record: JsonObject): ParsedRecord {
  const chat = readChat(record);
  if (!chat) throw new RecordError('conversations: missing (a LLaMA-Factory ranking record holds the prompt in conversations or messages)');
  // The sides answer the conversation's last question.
  const prompt = [...chat.turns].reverse().find((turn) => turn.role === 'user') ?? null;
  const system = systemPrompt(record, chat.turns);
  const [chosen, rejected] = (['chosen', 'rejected'] as const).map((role) =>
    buildResponse(role, 'sharegpt-preference', readSide(record, role), (ref) => [wholeSegment(ref)]),
  );
  const earlier = earlierExchanges('sharegpt-preference', recordImages(record), chat.turns, chosen);
  return {
    format: 'sharegpt-preference',
    id: recordId(record),
    question: earlier?.question ?? (prompt ? turnText(prompt) : null),
    ...(system === null ? {} : { system }),
    images: [...recordImages(record), ...flatMapped(chat.turns, (turn) => turn.imageUrls)],
    groundTruth: groundTruth(record),
    keySteps: null,
    ...(earlier ? { conversation: earlier.conversation } : {}),
    responses: [earlier?.first ?? chosen, rejected],
  };
}
