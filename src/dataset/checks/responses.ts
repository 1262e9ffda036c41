import { CHAT_KEYS, structureOf } from '../formats';
import type { JsonObject, JsonPath, ParsedRecord, Response } from '../record';
import { assistantReplies } from '../replies';
import type { Finding } from './result';
import { sectionGrammarProblems } from './sectionGrammar';
import { stageGrammarProblems } from './stageGrammar';
import { thinkAnswerProblems } from './thinkAnswerForm';
import { flatMapped } from '../flatMapped';

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

/**
 * Every response the record holds with what a finding prefixes to name it: the record's responses, then each
 * later reply of a conversation, named by its turn (0-based among the assistant turns, as commands take it).
 */
export function checkedResponses(parsed: ParsedRecord): Array<{ response: Response; named: string }> {
  const later = assistantReplies(parsed)
    .slice(1)
    .map((response, index) => ({ response, named: `turn ${index + 1}: ` }));
  return [...parsed.responses.map((response) => ({ response, named: '' })), ...later];
}

/** The grammar check of each response's structure (the structure the parser read it with). */
export function grammarFindings(record: JsonObject, parsed: ParsedRecord, reflectionPhrase: string): Finding[] {
  return flatMapped(checkedResponses(parsed), ({ response, named }): Finding[] => {
    const field = responseField(record, response);
    const problems = (check: Finding['check'], found: string[]): Finding[] =>
      found.map((problem) => ({ check, severity: 'error', field, problem: `${named}${problem}` }));
    switch (structureOf(parsed.format, response.text)) {
      case 'stages':
        return problems('stage-grammar', stageGrammarProblems(response.text));
      case 'sections':
        return problems('section-grammar', sectionGrammarProblems(response.text, reflectionPhrase));
      case 'think-answer':
        return problems('think-answer-form', thinkAnswerProblems(response.text));
      case null:
        return [];
    }
  });
}
