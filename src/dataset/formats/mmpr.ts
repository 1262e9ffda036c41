import { describeJson, type JsonObject, type ParsedRecord } from '../record';
import { RecordError } from '../recordEdit';
import { groundTruth, recordId, recordImages, requireString } from './fields';
import { lineSegments } from './lineSteps';
import { buildResponse } from './structure';

/**
 * MMPR preference pairs: `chosen` then `rejected`, each split by its own markup or else by lines. A record
 * whose `rejected` is absent or `null` is a dropout-NTP prompt (the chosen response waiting for its rejected
 * continuation): its one response is `chosen`, read as the record's response.
 */
export function parseMmpr(record: JsonObject): ParsedRecord {
  const question = requireString(record, 'question');
  const pending = record.rejected === undefined || record.rejected === null;
  const side = (role: 'chosen' | 'rejected') =>
    buildResponse(pending ? 'response' : role, 'mmpr', [{ text: requireString(record, role), path: [role] }], lineSegments);
  const responses = pending ? [side('chosen')] : [side('chosen'), side('rejected')];
  return { format: 'mmpr', id: recordId(record), question, images: recordImages(record), groundTruth: groundTruth(record), keySteps: null, responses };
}

/** MMPR's prompt records (`image`, `question`, `answer`; text-only ones without `image`): a question and its reference answer. */
export function parseMmprPrompt(record: JsonObject): ParsedRecord {
  const truth = groundTruth(record);
  if (truth === null) throw new RecordError(`answer: ${record.answer === undefined ? 'missing' : `expected a string, found ${describeJson(record.answer)}`}`);
  return {
    format: 'mmpr-prompt',
    id: recordId(record),
    question: requireString(record, 'question'),
    images: recordImages(record),
    groundTruth: truth,
    keySteps: null,
    responses: [],
  };
}
