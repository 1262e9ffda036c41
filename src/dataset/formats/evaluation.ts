import type { JsonObject, ParsedRecord } from '../record';
import { groundTruth, imagesAt, recordId, requireObject, requireString } from './fields';
import { wholeSegment } from './segment';
import { buildResponse } from './structure';

/**
 * R1-V's evaluation logs (src/eval/test_qwen2vl_geoqa.py, one item of `results` per line): the prompt record
 * it asked (`question`: `{image_path, question, ground_truth}`), the model's `model_output`, the answer
 * math_verify extracted and its verdict `is_correct`. The output is the one response, cut by its
 * `<think>`/`<answer>` tags and judged by that verdict; `extracted_answer` stays in the record.
 */
export function parseR1vEval(record: JsonObject): ParsedRecord {
  const prompt = requireObject(record.question, ['question']);
  const output = requireString(record, 'model_output');
  const response = buildResponse('response', 'r1v-eval', [{ text: output, path: ['model_output'] }], (ref) => [wholeSegment(ref)]);
  const verdict = record.is_correct;
  return {
    format: 'r1v-eval',
    id: recordId(record),
    question: requireString(prompt, 'question', ['question']),
    images: imagesAt(prompt, 'image_path', ['question']),
    groundTruth: groundTruth(record) ?? groundTruth(prompt),
    keySteps: null,
    responses: [typeof verdict === 'boolean' ? { ...response, correct: verdict } : response],
  };
}
