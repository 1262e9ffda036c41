import type { RecordSummary } from './recordSummarySchema';
import { segmentKey, segmentRating } from './annotations';
import { parseRecord } from './formats';
import type { FormatId } from './record';
import { readAnnotations, readRecord, RecordError } from './recordEdit';
import { assistantReplies } from './replies';

/** The question as a list row shows it: image placeholders out, whitespace collapsed. */
export function displayQuestion(question: string | null): string | null {
  return question === null
    ? null
    : question
        .replace(/<image>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
}

/** Reads one line as a record summary; a line that cannot be read becomes a problem, never an exception. */
export function summarizeLine(text: string, line: number, format?: FormatId): Omit<RecordSummary, 'index' | 'checks'> {
  const unread = { segments: 0, rated: 0 };
  try {
    const record = readRecord(text);
    const parsed = parseRecord(record, format);
    const annotations = readAnnotations(record, 'error' in parsed ? undefined : parsed);
    const review = annotations.review.status;
    if ('error' in parsed) return { line, question: null, problem: parsed.error, format: null, review, ...unread };
    const replies = assistantReplies(parsed);
    const segments = replies.reduce((sum, response) => sum + response.segments.length, 0);
    const rated = replies.reduce(
      (sum, response, turn) =>
        sum + response.segments.filter((segment, index) => segmentRating(annotations.segments[segmentKey(index, 'primary', turn)], segment) !== null).length,
      0,
    );
    return { line, question: displayQuestion(parsed.question), problem: null, format: parsed.format, review, segments, rated };
  } catch (error) {
    if (!(error instanceof RecordError)) throw error;
    return { line, question: null, problem: error.message, format: null, review: 'unreviewed', ...unread };
  }
}
