import { notJson } from '../notRecord';
import { describeJson, isJsonObject, type Json, type JsonObject, type ParsedRecord } from '../record';
import { RecordError } from '../recordEdit';
import { firstExchange, readChat, readTurns, systemPrompt, type Turn, turnText } from './chat';
import { groundTruth, imagesAt, readKeySteps, recordId, recordImages, requireString } from './fields';
import { flatMapped } from '../flatMapped';
import { errorMessage } from '../../errors/message';

/**
 * The RL formats: a problem, its image(s) and reference answer, no response to review. EasyR1's default
 * columns (`problem`, `answer`, `images`), OpenVLThinker's RL records and ViRL39K (`qid` as its id) are read
 * as Reason-RFT RL.
 */
export function parseProblem(record: JsonObject, format: 'r1-vl' | 'reason-rft-rl'): ParsedRecord {
  return {
    format,
    id: recordId(record) ?? (typeof record.qid === 'string' ? record.qid : null),
    question: requireString(record, 'problem'),
    images: recordImages(record),
    groundTruth: groundTruth(record),
    keySteps: format === 'r1-vl' ? readKeySteps(record) : null,
    responses: [],
  };
}

/** An RL prompt given as chat turns: the first user turn is the question, system turns before it the system prompt. */
function promptFields(record: JsonObject, turns: readonly Turn[]): Pick<ParsedRecord, 'question' | 'system'> {
  const { prompt } = firstExchange(turns);
  const system = systemPrompt(record, turns);
  return { question: prompt ? turnText(prompt) : null, ...(system === null ? {} : { system }) };
}

/**
 * verl's RL data: `prompt` is the chat, `reward_model.ground_truth` the reference answer the rule reward
 * checks; `data_source`, `ability` and `extra_info` stay in the record.
 */
export function parseVerl(record: JsonObject): ParsedRecord {
  const turns = readTurns(record.prompt, ['prompt']);
  if (!turns) throw new RecordError(`prompt: expected a list of messages, found ${describeJson(record.prompt)}`);
  const rewardModel = record.reward_model;
  const truth = isJsonObject(rewardModel) ? rewardModel.ground_truth : undefined;
  return {
    format: 'verl',
    id: recordId(record),
    ...promptFields(record, turns),
    images: [...recordImages(record), ...flatMapped(turns, (turn) => turn.imageUrls)],
    groundTruth: typeof truth === 'string' || typeof truth === 'number' ? String(truth) : null,
    keySteps: null,
    responses: [],
  };
}

/** `file://` URLs name local files: the path after the scheme is the image path. */
function fileUrlPath(url: string): string {
  return url.replace(/^file:\/\//i, '');
}

/**
 * The chat list MM-Eureka's qwen branch holds as JSON text in `message`, or null when the record has no
 * `message` string. Its turns' paths point into the decoded list, which no edit reaches: the record is a prompt.
 */
function messageTurns(record: JsonObject): Turn[] | null {
  const message = record.message;
  if (typeof message !== 'string') return null;
  let decoded: Json;
  try {
    decoded = JSON.parse(message) as Json;
  } catch (error) {
    throw new RecordError(`message: ${notJson(message, errorMessage(error)).problem}`);
  }
  if (!Array.isArray(decoded)) throw new RecordError(`message: expected a list of chat turns as JSON text, found ${describeJson(decoded)}`);
  if (decoded.length === 0) throw new RecordError('message: holds an empty list of chat turns: there is no question');
  const stray = decoded.findIndex((turn) => !isJsonObject(turn));
  if (stray >= 0) throw new RecordError(`message: item ${stray + 1} of its list is ${describeJson(decoded[stray])}, not a chat turn {"role", "content"}`);
  return readTurns(decoded, ['message']);
}

/**
 * MM-Eureka's RL data: the prompt as a `conversations` chat list (internvl branch) or as the JSON text of one in
 * `message` (qwen branch, whose images are `image` parts), `answer`, and `image_urls`; `file://` URLs read as paths.
 */
export function parseMmEureka(record: JsonObject): ParsedRecord {
  const turns = readChat(record)?.turns ?? messageTurns(record);
  if (!turns) throw new RecordError('conversations: missing (an MM-Eureka record holds its prompt in conversations, or as JSON text in message)');
  const urls = [...imagesAt(record, 'image_urls'), ...flatMapped(turns, (turn) => turn.imageUrls)];
  return {
    format: 'mm-eureka',
    id: recordId(record),
    ...promptFields(record, turns),
    images: [...recordImages(record), ...urls.map(fileUrlPath)],
    groundTruth: groundTruth(record),
    keySteps: null,
    responses: [],
  };
}
