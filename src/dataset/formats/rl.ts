import type { JsonObject, ParsedRecord } from '../record';
import { groundTruth, readKeySteps, recordId, recordImages, requireString } from './fields';

/** The RL formats: a problem, its image(s) and reference answer, no response to review. */
export function parseProblem(record: JsonObject, format: 'r1-vl' | 'reason-rft-rl'): ParsedRecord {
  return {
    format,
    id: recordId(record),
    question: requireString(record, 'problem'),
    images: recordImages(record),
    groundTruth: groundTruth(record),
    keySteps: format === 'r1-vl' ? readKeySteps(record) : null,
    responses: [],
  };
}
