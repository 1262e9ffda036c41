import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyOperation } from '../../src/dataset/operations';
import type { Operation } from '../../src/protocol';
import { datasetsDir } from './fixtures';

/** The context operations run with in tests: a fixed time, Mulberry's reflection phrase. */
export const OPERATION_CONTEXT = { at: '2026-12-06T00:00:00.000Z', reflectionPhrase: 'I think I have made a mistake. Let me rethink it.' };

/** A record line with operations applied in order by a named annotator, as the editor applies them. */
export const annotateAs = (annotator: string | undefined, line: string, ...operations: Operation[]): string =>
  operations.reduce(
    (text, operation) => applyOperation(text, operation, { ...OPERATION_CONTEXT, ...(annotator === undefined ? {} : { annotator }) }).text,
    line,
  );

/** A record line with operations applied in order, nobody named, as the CLI applies them. */
export const annotate = (line: string, ...operations: Operation[]): string => annotateAs(undefined, line, ...operations);

/** A person's rating of the first record line's segment. */
export const rate = (segment: number, rating: 1 | 0 | -1): Operation => ({ kind: 'rateSegment', line: 1, segment, rating });

/** The first `count` records of the Mulberry sample, one line each. */
export const mulberryLines = (count: number): string[] =>
  fs
    .readFileSync(path.join(datasetsDir, 'mulberry.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .slice(0, count);
