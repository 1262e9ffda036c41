import { describeJson, isJsonObject, type JsonObject, type ParsedRecord } from '../record';
import { RecordError } from '../recordEdit';
import { groundTruth, recordId, recordImages, requireString } from './fields';

/** R1-VL `key_steps.Steps`: each item a string or a list of acceptable alternatives; absent means none. */
function readKeySteps(record: JsonObject): string[][] | null {
  const keySteps = record.key_steps;
  if (keySteps === undefined) return null;
  const steps = isJsonObject(keySteps) ? keySteps.Steps : undefined;
  if (!Array.isArray(steps)) throw new RecordError(`key_steps.Steps: expected a list, found ${describeJson(steps)}`);
  return steps.map((step, index) => {
    const alternatives = Array.isArray(step) ? step : [step];
    if (alternatives.every((alternative): alternative is string => typeof alternative === 'string')) return alternatives;
    throw new RecordError(`key_steps.Steps[${index}]: expected a string or a list of strings, found ${describeJson(step)}`);
  });
}

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
