import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRecordState } from '../../src/dataset/operations';
import type { ParsedRecord } from '../../src/dataset/record';
import { datasetsDir } from './fixtures';

/** Every record of every sample dataset that parses, with where it is. */
export function sampleRecords(): Array<{ at: string; record: ParsedRecord }> {
  return fs
    .readdirSync(datasetsDir)
    .filter((name) => name.endsWith('.jsonl'))
    .sort()
    .flatMap((name) =>
      fs
        .readFileSync(path.join(datasetsDir, name), 'utf8')
        .split('\n')
        .flatMap((line, index) => {
          try {
            return line.trim() === '' ? [] : [{ at: `${name}:${index + 1}`, record: readRecordState(line).parsed }];
          } catch {
            // The samples' deliberate flaws: lines that are not records are not regenerated.
            return [];
          }
        }),
    );
}
