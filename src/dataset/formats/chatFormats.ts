import type { FormatId, JsonObject, ParsedRecord } from '../record';
import { formatPath, RecordError } from '../recordEdit';
import { firstExchange, laterExchanges, readChat, readConversation, systemPrompt, turnText } from './chat';
import { groundTruth, readKeySteps, recordId, recordImages, sourceLabel } from './fields';
import { wholeSegment } from './segment';
import { buildResponse, detectStructure, STRUCTURE_FORMAT, STRUCTURES, structureOf } from './structure';
import { flatMapped } from '../flatMapped';

/** The formats read from a `messages` or `conversations` list. */
export type ChatFormat = Extract<FormatId, 'llava-cot' | 'mulberry' | 'think-answer' | 'sharegpt' | 'openai-chat'>;

/**
 * A non-empty chat list is OpenAI chat when any turn uses content parts (the parts are the shape, whatever
 * the reply says); otherwise the reply's structure names the sharegpt-family format.
 */
export function detectChatFormat(record: JsonObject): ChatFormat | null {
  const chat = readChat(record);
  if (!chat || chat.turns.length === 0) return null;
  if (chat.turns.some((turn) => turn.hasParts)) return 'openai-chat';
  const { reply } = firstExchange(chat.turns);
  const structure = reply ? detectStructure(turnText(reply)) : null;
  return structure === null ? 'sharegpt' : STRUCTURE_FORMAT[structure];
}

/**
 * The record's first user turn and the first assistant turn after it, and the whole conversation when later
 * exchanges follow. A chat without a reply parses with no response (the empty-answer check reports it), except
 * for the structured formats, whose markup is what makes them that format.
 */
export function parseChat(record: JsonObject, format: ChatFormat): ParsedRecord {
  const chat = readChat(record);
  if (!chat) throw new RecordError(`messages: missing (a ${format} record holds its turns in messages or conversations)`);
  const { prompt, reply } = firstExchange(chat.turns);
  const text = reply ? turnText(reply) : '';
  const structure = structureOf(format, text);
  if (structure !== null && format !== 'openai-chat') {
    if (!reply) throw new RecordError(`${formatPath(chat.path)}: no assistant turn after the first user turn`);
    if (!STRUCTURES[structure].present(text)) {
      throw new RecordError(`${formatPath(reply.texts[0]?.path ?? chat.path)}: no ${STRUCTURES[structure].name}`);
    }
  }
  const system = systemPrompt(record, chat.turns);
  const listed = recordImages(record);
  const later = laterExchanges(chat.turns);
  const response = reply ? buildResponse('response', format, reply.texts, (ref) => [wholeSegment(ref)]) : undefined;
  const exchanges = prompt && reply && later.length > 0 ? [prompt, reply, ...later] : [];
  // Every reply is cut as the first one is: a later turn without the format's markup is one segment (the grammar check says why).
  const conversation = readConversation(listed, exchanges).map((turn, index) =>
    turn.role === 'user'
      ? turn
      : { ...turn, response: index === 1 ? response : buildResponse('response', format, exchanges[index].texts, (ref) => [wholeSegment(ref)]) },
  );
  return {
    format,
    id: recordId(record),
    question: prompt ? turnText(prompt) : null,
    ...(system === null ? {} : { system }),
    images: [...listed, ...flatMapped(chat.turns, (turn) => turn.imageUrls)],
    groundTruth: groundTruth(record),
    keySteps: readKeySteps(record),
    ...sourceLabel(record),
    ...(conversation.length > 0 ? { conversation } : {}),
    responses: response ? [response] : [],
  };
}
