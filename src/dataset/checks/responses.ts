import { CHAT_KEYS, structureOf } from '../formats';
import type { JsonObject, JsonPath, ParsedRecord, Response } from '../record';
import type { Finding } from './result';
import { sectionGrammarProblems } from './sectionGrammar';
import { stageGrammarProblems } from './stageGrammar';
import { thinkAnswerProblems } from './thinkAnswerForm';

/**
 * The field that holds a response: the string of its first segment; for one without segments, the key of
 * its side of a pair, the chat list, or TRL's `completions` (the only other shape with a bare response).
 */
export function responseField(record: JsonObject, response: Response | undefined): JsonPath {
  const first = response?.segments[0];
  if (first) return first.path;
  if (response && response.role !== 'response') return [response.role];
  return [CHAT_KEYS.find((key) => key in record) ?? 'completions'];
}

/** The grammar check of each response's structure (the structure the parser read it with). */
export function grammarFindings(record: JsonObject, parsed: ParsedRecord, reflectionPhrase: string): Finding[] {
  return parsed.responses.flatMap((response) => {
    const field = responseField(record, response);
    switch (structureOf(parsed.format, response.text)) {
      case 'stages':
        return stageGrammarProblems(response.text).map((problem): Finding => ({ check: 'stage-grammar', severity: 'error', field, problem }));
      case 'sections':
        return sectionGrammarProblems(response.text, reflectionPhrase).map((problem): Finding => ({ check: 'section-grammar', severity: 'error', field, problem }));
      case 'think-answer':
        return thinkAnswerProblems(response.text).map((problem): Finding => ({ check: 'think-answer-form', severity: 'error', field, problem }));
      case null:
        return [];
    }
  });
}
