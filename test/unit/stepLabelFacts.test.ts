import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Dataset } from '../../src/dataset';
import { stepDisagreement } from '../../src/dataset/disagreement';
import { FactTable } from '../../src/dataset/factTable';
import { datasetStats } from '../../src/dataset/validate';
import type { Operation } from '../../src/protocol';
import { datasetsDir } from '../harness/fixtures';
import { annotate, rate } from '../harness/annotating';
import { mergeDatasets } from '../../src/merge/mergeDatasets';

const mulberry = fs.readFileSync(path.join(datasetsDir, 'mulberry.jsonl'), 'utf8').split('\n')[0]?.replace(/\r$/, '') ?? '';

function annotated(...operations: Operation[]): string {
  return annotate(mulberry, ...operations);
}

const scores = (segment: number, correct: number): Operation => ({
  kind: 'setStepScores',
  line: 1,
  steps: [{ segment, score: correct / 8, correct, total: 8 }],
  policy: 'policy',
  rollouts: 8,
});
const suggest = (segment: number, label: 1 | 0 | -1): Operation => ({
  kind: 'setPrelabels',
  line: 1,
  steps: [{ segment, label }],
  provenance: { method: 'step-judge' },
});

/** The fact table of a dataset of these lines, read. */
async function factsOf(lines: string[]): Promise<FactTable> {
  const table = new FactTable(
    Dataset.fromBytes('facts.jsonl', Buffer.from(`${lines.join('\n')}\n`)),
    () => ({ imageProblem: () => null }),
    () => undefined,
  );
  await table.fill();
  return table;
}

describe("disagreement between a step's rating, suggestion and Monte Carlo score", () => {
  it('is half the widest gap on a scale from -1 to +1, and undefined with fewer than two labels', () => {
    const step = (fields: object) => ({ rating: null, alternatives: [], ...fields });
    const mc = (score: number) => ({ score, correct: 0, total: 8, policy: 'p', rollouts: 8, createdAt: '' });
    const prelabel = (label: 1 | 0 | -1) => ({ label, provenance: { source: 'model' as const, createdAt: '' } });
    assert.equal(stepDisagreement(step({ rating: 1 }), undefined), undefined);
    assert.equal(stepDisagreement(step({ rating: 1, monteCarlo: mc(0) }), undefined), 1);
    assert.equal(stepDisagreement(step({ rating: -1, monteCarlo: mc(1) }), undefined), 1);
    assert.equal(stepDisagreement(step({ rating: 1, monteCarlo: mc(1) }), undefined), 0);
    assert.equal(stepDisagreement(step({ rating: 1, monteCarlo: mc(0.5) }), undefined), 0.5);
    assert.equal(stepDisagreement(step({ rating: 1, prelabel: prelabel(0), monteCarlo: mc(0.75) }), undefined), 0.5);
    assert.equal(stepDisagreement(step({ prelabel: prelabel(-1), monteCarlo: mc(0.875) }), undefined), 0.875);
  });

  it('filters the records whose steps disagree and shows the widest disagreement first', async () => {
    const lines = [
      annotated(rate(1, 1), scores(1, 4)), // 0.5
      annotated(rate(0, 1)), // one label: none
      annotated(rate(2, 1), scores(2, 0)), // 1
      annotated(suggest(1, 1), rate(1, 1), scores(1, 8)), // 0
      annotated(suggest(0, -1), scores(0, 6)), // 0.75
    ];
    const table = await factsOf(lines);
    assert.equal(table.counts().disagreement, 3);
    assert.deepEqual(Array.from(await table.filter({ disagreement: true })), [0, 2, 4], 'in file order');
    assert.deepEqual(Array.from(await table.filter({ disagreement: true, order: 'disagreement' })), [2, 4, 0], 'widest first');
    assert.deepEqual(Array.from(await table.filter({ order: 'disagreement' })), [2, 4, 0, 3, 1], 'labels that agree come before steps with one label');
  });

  it('filters conflicts and disagreements together: records with a conflict a merge kept first, then the widest disagreement', async () => {
    const conflicting = mergeDatasets(`${mulberry}\n`, `${annotated(rate(1, 1))}\n`, `${annotated(rate(1, -1))}\n`).text.trimEnd();
    const lines = [
      annotated(rate(1, 1), scores(1, 4)), // 0.5
      annotated(rate(0, 1)), // one label: none
      conflicting,
      annotated(rate(2, 1), scores(2, 0)), // 1
      annotated(suggest(1, 1), rate(1, 1), scores(1, 8)), // 0
    ];
    const table = await factsOf(lines);
    assert.equal(table.counts().conflicts, 3);
    assert.equal(table.counts().disagreement, 2, 'a conflict is no disagreement of labels');
    assert.deepEqual(Array.from(await table.filter({ conflicts: true })), [0, 2, 3], 'in file order');
    assert.deepEqual(Array.from(await table.filter({ conflicts: true, order: 'disagreement' })), [2, 3, 0], 'conflicts first');
  });
});

describe('the counts of suggested labels', () => {
  it('count suggestions, those confirmed and those overridden, and the changes by step position', () => {
    const suggestAll = {
      kind: 'setPrelabels' as const,
      line: 1,
      steps: [0, 1, 2, 3].map((segment) => ({ segment, label: 1 as const })),
      provenance: { method: 'step-judge' },
    };
    const lines = [annotated(suggestAll, rate(0, 1), rate(1, -1), rate(2, 1)), annotated(suggestAll, rate(0, 1), rate(1, 1)), annotated(rate(0, -1))];
    const dataset = Dataset.fromBytes('suggested.jsonl', Buffer.from(`${lines.join('\n')}\n`));
    const { prelabels } = datasetStats(dataset, { imageProblem: () => null });
    assert.equal(prelabels.suggested, 8);
    assert.equal(prelabels.confirmed, 4);
    assert.equal(prelabels.overridden, 1);
    assert.deepEqual(prelabels.byPosition.slice(0, 4), [
      { confirmed: 2, overridden: 0 },
      { confirmed: 1, overridden: 1 },
      { confirmed: 1, overridden: 0 },
      { confirmed: 0, overridden: 0 },
    ]);
  });
});
