import { describeJson, isJsonObject, type JsonObject, type ParsedRecord } from '../record';
import { RecordError } from '../recordEdit';
import { firstExchange, readTurns, systemPrompt, turnText } from './chat';
import { earlierExchanges } from './earlierExchanges';
import { groundTruth, recordId, recordImages } from './fields';
import { wholeSegment } from './segment';
import { buildResponse } from './structure';
import { flatMapped } from '../flatMapped';

/** The assistant message of `preferred_output` / `non_preferred_output`: a one-message list. */
function readOutput(record: JsonObject, key: 'preferred_output' | 'non_preferred_output') {
  const turns = readTurns(record[key], [key]);
  const turn = turns?.find((candidate) => candidate.role === 'assistant') ?? turns?.[0];
  if (!turn) throw new RecordError(`${key}: expected a list with the assistant message, found ${turns ? 'an empty list' : describeJson(record[key])}`);
  return turn.texts;
}

/**
 * OpenAI's DPO fine-tuning lines, as CoT Studio writes them: `input.messages` up to the question, then the
 * preferred and the non-preferred assistant message; earlier exchanges in the input are read as a conversation
 * whose last reply is the preferred one (`earlierExchanges`).
 */
export function parseOpenaiDpo(record: JsonObject): ParsedRecord {
  const input = record.input;
  const turns = isJsonObject(input) ? readTurns(input.messages, ['input', 'messages']) : null;
  if (!turns) throw new RecordError(`input.messages: expected a list of messages, found ${describeJson(isJsonObject(input) ? input.messages : input)}`);
  const { prompt } = firstExchange(turns);
  const system = systemPrompt(record, turns);
  const chosen = buildResponse('chosen', 'openai-dpo', readOutput(record, 'preferred_output'), (ref) => [wholeSegment(ref)]);
  const rejected = buildResponse('rejected', 'openai-dpo', readOutput(record, 'non_preferred_output'), (ref) => [wholeSegment(ref)]);
  const earlier = earlierExchanges('openai-dpo', recordImages(record), turns, chosen);
  return {
    format: 'openai-dpo',
    id: recordId(record),
    question: earlier?.question ?? (prompt ? turnText(prompt) : null),
    ...(system === null ? {} : { system }),
    images: [...recordImages(record), ...flatMapped(turns, (turn) => turn.imageUrls)],
    groundTruth: groundTruth(record),
    keySteps: null,
    ...(earlier ? { conversation: earlier.conversation } : {}),
    responses: [earlier?.first ?? chosen, rejected],
  };
}
