import type { ConversationTurn, FormatId, Response } from '../record';
import { readConversation, type Turn, turnText } from './chat';
import { wholeSegment } from './segment';
import { buildResponse } from './structure';

/** A preference or completion record read with the exchanges its prompt holds before its question. */
export interface EarlierExchanges {
  /** The first question. */
  question: string;
  conversation: ConversationTurn[];
  /** The first reply: `responses[0]`, as every record read with its conversation has it (record.ts). */
  first: Response;
}

/**
 * The conversation a prompt holds before the question its sides answer (TRL's conversational prompt, OpenAI
 * DPO's `input.messages`, LLaMA-Factory ranking's `conversations`: how pairs about a later reply are written),
 * read with `last` (the chosen side, or the completion) as its last reply, so that the record's first response
 * is the conversation's first reply and a rejected side answers the last turn (replies.ts). Null when the prompt
 * is one question, or does not go on in questions and replies. A final assistant message after the last
 * question (a continued prefix) is not part of it, as it is not of a one-question prompt.
 */
export function earlierExchanges(format: FormatId, listed: string[], turns: readonly Turn[], last: Response): EarlierExchanges | null {
  const start = turns.findIndex((turn) => turn.role === 'user');
  let end = turns.length - 1;
  while (end >= 0 && turns[end].role !== 'user') end--;
  const exchanges = turns.slice(start, end + 1);
  if (start < 0 || exchanges.length < 3 || !exchanges.every((turn, index) => turn.role === (index % 2 === 0 ? 'user' : 'assistant'))) return null;
  const reply: Turn = { role: 'assistant', texts: [], imageUrls: [], hasParts: false, imageSlots: 0 };
  const conversation = readConversation(listed, [...exchanges, reply]).map((turn, index): ConversationTurn => {
    if (turn.role === 'user') return turn;
    if (index === exchanges.length) return { ...turn, text: last.text, response: last };
    return { ...turn, response: buildResponse('response', format, exchanges[index].texts, (ref) => [wholeSegment(ref)]) };
  });
  const first = conversation[1].response;
  return first ? { question: turnText(exchanges[0]), conversation, first } : null;
}
