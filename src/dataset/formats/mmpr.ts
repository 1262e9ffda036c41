import type { JsonObject, ParsedRecord } from '../record';
import { groundTruth, recordId, recordImages, requireString } from './fields';
import { lineSegments } from './lineSteps';
import { buildResponse } from './structure';

/** MMPR preference pairs: `chosen` then `rejected`, each split by its own markup or else by lines. */
export function parseMmpr(record: JsonObject): ParsedRecord {
  const question = requireString(record, 'question');
  const responses = (['chosen', 'rejected'] as const).map((role) =>
    buildResponse(role, 'mmpr', [{ text: requireString(record, role), path: [role] }], lineSegments),
  );
  return { format: 'mmpr', id: recordId(record), question, images: recordImages(record), groundTruth: groundTruth(record), keySteps: null, responses };
}
