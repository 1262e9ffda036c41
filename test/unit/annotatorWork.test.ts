import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Dataset } from '../../src/dataset';
import { FactTable } from '../../src/dataset/factTable';
import { mergeStatsParts } from '../../src/dataset/stats/merge';
import { tallyRange } from '../../src/dataset/stats/tally';
import { datasetStats } from '../../src/dataset/validate';
import { annotateAs, mulberryLines, rate } from '../harness/annotating';

const at = (line: number, operation: ReturnType<typeof rate>) => ({ ...operation, line });

/** Four records: Ana's, one Ana and Bo share, one nobody touched, Bo's edit. */
function lines(): string[] {
  const [first, second, third, fourth] = mulberryLines(4) as [string, string, string, string];
  return [
    annotateAs('ana', first, rate(1, 1), rate(2, -1), { kind: 'setReviewStatus', line: 1, status: 'accepted' }),
    annotateAs('ana', annotateAs('bo', second, rate(0, 1)), { kind: 'markPreference', line: 1, segment: 1, chosen: { text: 'better' }, rejected: 'current' }),
    third,
    annotateAs('bo', fourth, { kind: 'editSegment', line: 1, segment: 1, text: 'An edited step.' }),
  ];
}

const work = (records: number, ratings: number, reviews: number, edits: number, pairs: number) => ({ records, ratings, reviews, edits, pairs, reflections: 0 });

describe('work by annotator', () => {
  it('counts the records each annotator touched and filters the list to them', async () => {
    const dataset = Dataset.fromBytes('team.jsonl', Buffer.from(`${lines().join('\n')}\n`));
    const table = new FactTable(
      dataset,
      () => ({ imageProblem: () => null }),
      () => undefined,
    );
    await table.fill();
    assert.deepEqual(table.counts().annotators, { ana: 2, bo: 2 });
    assert.deepEqual(Array.from(await table.filter({ annotator: 'ana' })), [0, 1]);
    assert.deepEqual(Array.from(await table.filter({ annotator: 'bo' })), [1, 3]);
    assert.deepEqual(Array.from(await table.filter({ annotator: 'cy' })), []);
    assert.deepEqual(table.stats().annotators, { ana: work(2, 2, 1, 0, 1), bo: work(2, 1, 0, 1, 0) });

    // Ana rates a step of the record nobody had touched: she counts it, the others' counts stay.
    const line = dataset.recordLine(2);
    const before = dataset.lineText(line);
    const after = annotateAs('ana', before, at(1, rate(0, 0)));
    dataset.apply([{ line, before, after }], 'forward');
    await table.update(dataset, [line], new Map([[line, before]]));
    assert.deepEqual(table.counts().annotators, { ana: 3, bo: 2 });
    assert.deepEqual(Array.from(await table.filter({ annotator: 'ana' })), [0, 1, 2]);
    assert.deepEqual(table.stats().annotators, { ana: work(3, 3, 1, 0, 1), bo: work(2, 1, 0, 1, 0) });
  });

  it('is the same counted at once, by the editor, and in parts of the file', async () => {
    const bytes = Buffer.from(`${lines().join('\n')}\n`);
    const expected = datasetStats(Dataset.fromBytes('team.jsonl', bytes), { imageProblem: () => null }).annotators;
    assert.deepEqual(expected, { ana: work(2, 2, 1, 0, 1), bo: work(2, 1, 0, 1, 0) });
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-team-'));
    const file = path.join(folder, 'team.jsonl');
    fs.writeFileSync(file, bytes);
    try {
      // The second record, which both did something in, on each side of the cut and then in one part.
      for (const record of [1, 2]) {
        const cut = bytes.indexOf(0x0a, bytes.indexOf(lines()[record] as string)) + 1;
        const parts = await Promise.all([tallyRange(file, 0, cut, { imageRoots: [] }), tallyRange(file, cut, bytes.length, { imageRoots: [] })]);
        assert.deepEqual(mergeStatsParts('team.jsonl', parts).annotators, expected, `cut after record ${record}`);
      }
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
