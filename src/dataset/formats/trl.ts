import { describeJson, type JsonObject, type ParsedRecord, type Response, type StepLabel } from '../record';
import { RecordError } from '../recordEdit';
import { firstExchange, readTurns, turnText } from './chat';
import { earlierExchanges, type EarlierExchanges } from './earlierExchanges';
import { groundTruth, recordId, recordImages, sourceLabel } from './fields';
import { stepResponse, stepSegment, type TextRef, wholeSegment } from './segment';
import { buildResponse } from './structure';
import { flatMapped } from '../flatMapped';

/** TRL's `prompt`: a string, or conversational messages whose first user turn is the question. */
function readPrompt(record: JsonObject): { question: string | null; imageUrls: string[] } {
  const prompt = record.prompt;
  if (typeof prompt === 'string') return { question: prompt, imageUrls: [] };
  const turns = readTurns(prompt, ['prompt']);
  if (!turns) throw new RecordError(`prompt: expected a string or a list of messages, found ${describeJson(prompt)}`);
  const first = firstExchange(turns).prompt;
  return { question: first ? turnText(first) : null, imageUrls: flatMapped(turns, (turn) => turn.imageUrls) };
}

/** A conversational prompt that holds earlier exchanges, read with `last` as the conversation's last reply (`earlierExchanges`). */
function promptExchanges(record: JsonObject, format: 'trl-preference' | 'trl-completion', last: Response): EarlierExchanges | null {
  const turns = readTurns(record.prompt, ['prompt']);
  return turns ? earlierExchanges(format, recordImages(record), turns, last) : null;
}

/**
 * TRL's implicit prompt: a pair without `prompt` whose sides are whole conversations carries the question in
 * them (the user turn before the answer); a pair of plain strings has none apart from the text.
 */
function implicitPrompt(record: JsonObject): { question: string | null; imageUrls: string[] } {
  const turns = readTurns(record.chosen, ['chosen']);
  const prompt = turns ? firstExchange(turns).prompt : null;
  return { question: prompt ? turnText(prompt) : null, imageUrls: turns ? flatMapped(turns, (turn) => turn.imageUrls) : [] };
}

/** A side of a TRL pair, or a TRL completion: a string, or a list holding the assistant message (conversational TRL). */
function readSide(record: JsonObject, role: 'chosen' | 'rejected' | 'completion'): readonly TextRef[] {
  const value = record[role];
  if (typeof value === 'string') return [{ text: value, path: [role] }];
  const turns = readTurns(value, [role]);
  const turn = turns?.find((candidate) => candidate.role === 'assistant') ?? turns?.[0];
  if (!turn) throw new RecordError(`${role}: expected a string or a list with an assistant message, found ${turns ? 'an empty list' : describeJson(value)}`);
  return turn.texts;
}

export function parseTrlPreference(record: JsonObject): ParsedRecord {
  const { question, imageUrls } = 'prompt' in record ? readPrompt(record) : implicitPrompt(record);
  const [chosen, rejected] = (['chosen', 'rejected'] as const).map((role) =>
    buildResponse(role, 'trl-preference', readSide(record, role), (ref) => [wholeSegment(ref)]),
  );
  const earlier = promptExchanges(record, 'trl-preference', chosen);
  return {
    format: 'trl-preference',
    id: recordId(record),
    question: earlier?.question ?? question,
    images: [...recordImages(record), ...imageUrls],
    groundTruth: groundTruth(record),
    keySteps: null,
    ...(earlier ? { conversation: earlier.conversation } : {}),
    responses: [earlier?.first ?? chosen, rejected],
  };
}

/** TRL prompt-completion, and with `label` its unpaired preference (KTO) form: one completion, judged or not. */
export function parseTrlCompletion(record: JsonObject): ParsedRecord {
  const { question, imageUrls } = readPrompt(record);
  const completion = buildResponse('response', 'trl-completion', readSide(record, 'completion'), (ref) => [wholeSegment(ref)]);
  const earlier = promptExchanges(record, 'trl-completion', completion);
  return {
    format: 'trl-completion',
    id: recordId(record),
    question: earlier?.question ?? question,
    images: [...recordImages(record), ...imageUrls],
    groundTruth: groundTruth(record),
    keySteps: null,
    ...sourceLabel(record),
    ...(earlier ? { conversation: earlier.conversation } : {}),
    responses: [earlier?.first ?? completion],
  };
}

/** TRL's `labels`, one boolean per completion, as ratings (true +1, false -1); labels that do not match the completions one for one are none. */
function stepwiseLabels(record: JsonObject, completions: number): StepLabel[] {
  const labels = record.labels;
  if (!Array.isArray(labels) || labels.length !== completions) return [];
  return labels.map((label) => ({ rating: label === true ? 1 : label === false ? -1 : null }));
}

/** TRL stepwise supervision: each completion string is one step, labelled by `labels`; the response reads them joined by blank lines. */
export function parseTrlStepwise(record: JsonObject): ParsedRecord {
  const { question, imageUrls } = readPrompt(record);
  const completions = record.completions;
  if (!Array.isArray(completions)) throw new RecordError(`completions: expected a list of strings, found ${describeJson(completions)}`);
  const labels = stepwiseLabels(record, completions.length);
  const steps = completions.map((completion, index) => {
    if (typeof completion !== 'string') throw new RecordError(`completions[${index}]: expected a string, found ${describeJson(completion)}`);
    return stepSegment({ text: completion, path: ['completions', index] }, index, labels[index]);
  });
  return {
    format: 'trl-stepwise',
    id: recordId(record),
    question,
    images: [...recordImages(record), ...imageUrls],
    groundTruth: null,
    keySteps: null,
    responses: [stepResponse(steps)],
  };
}
