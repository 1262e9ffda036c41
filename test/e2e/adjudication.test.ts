// Adjudication in the installed VSIX: two annotators' copies of a dataset merged with conflicts, the filter
// Conflicts and disagreements, one conflict taken from each side with [ and ], a save that touches only those lines.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { Annotations } from '../../src/dataset/annotations';
import { mergeDatasets } from '../../src/merge/mergeDatasets';
import { annotateAs, rate } from '../harness/annotating';
import { projectRoot } from '../harness/fixtures';
import { type InstalledProduct, startInstalledProduct } from '../harness/installedProduct';
import type { Workbench } from '../harness/workbench';

const resultsDir = path.join(projectRoot, 'test-results');
/** The `*.cot.jsonl` name the dataset editor opens by default. */
const FILE = 'merged.cot.jsonl';

/**
 * Three Mulberry records, annotated by two people: they rate step 1 of the first record and review it differently,
 * leave the second alone, and rate step 0 of the third differently; the merge keeps three conflicts.
 */
function mergedDataset(folder: string): string {
  const base = fs.readFileSync(path.join(folder, 'mulberry.jsonl'), 'utf8').split('\n').slice(0, 3);
  const [first, second, third] = base as [string, string, string];
  const ours = [annotateAs('Ana', first, rate(1, 1), { kind: 'setReviewStatus', line: 1, status: 'accepted' }), second, annotateAs('Ana', third, rate(0, 1))];
  const theirs = [
    annotateAs('Bo', first, rate(1, -1), { kind: 'setReviewStatus', line: 1, status: 'needs_fix' }),
    second,
    annotateAs('Bo', third, rate(0, -1)),
  ];
  const file = (lines: string[]) => `${lines.join('\n')}\n`;
  const merged = mergeDatasets(file(base), file(ours), file(theirs));
  assert.equal(merged.conflicts, 3);
  return merged.text;
}

describe('adjudicating the conflicts of a merge', { timeout: 5 * 60_000 }, () => {
  let product: InstalledProduct;
  let page: Page;
  let workbench: Workbench;
  let workspace: string;

  before(async () => {
    product = await startInstalledProduct((folder) => {
      fs.writeFileSync(path.join(folder, FILE), mergedDataset(folder));
      // The adjudicator, as the settings name them.
      fs.mkdirSync(path.join(folder, '.vscode'));
      fs.writeFileSync(path.join(folder, '.vscode', 'settings.json'), JSON.stringify({ 'cotStudio.annotator': 'Cy Judge' }));
    });
    ({ page, workbench, workspace } = product);
  });

  after(async () => {
    await product?.close(process.exitCode ? 'adjudication-failure.png' : undefined);
  });

  it('filters to conflicts, takes the left version of one and the right of another by key, and saves only those lines', async () => {
    const file = path.join(workspace, FILE);
    const original = fs.readFileSync(file, 'utf8').split('\n');
    await workbench.quickOpen(FILE);
    const view = await workbench.datasetView(FILE);
    await view.locator('.sample-title', { hasText: 'Line 1' }).waitFor({ timeout: 30_000 });

    await view.locator('.filter-conflicts', { hasText: 'Conflicts and disagreements (2)' }).click();
    await view.locator('.filter-summary', { hasText: '2 of 3 match' }).waitFor({ timeout: 15_000 });

    // Line 1: its rating and its review, each annotator's version side by side.
    const conflicts = view.locator('.adjudication .conflict');
    await conflicts.nth(1).waitFor();
    assert.deepEqual(await conflicts.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-path'))), ['segments.1.rating', 'review']);
    const rating = conflicts.first();
    assert.equal(await rating.locator('.conflict-version.ours .conflict-rating').textContent(), '+1');
    assert.equal(await rating.locator('.conflict-version.theirs .conflict-rating').textContent(), '-1');
    assert.equal(await rating.locator('.conflict-version.ours .conflict-by').textContent(), 'Ana', 'who gave each version, over it');
    assert.equal(await rating.locator('.conflict-version.theirs .conflict-by').textContent(), 'Bo');
    fs.mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: path.join(resultsDir, 'adjudication.png') });

    // [ takes ours of the first conflict; the review's is left.
    await view.locator('.sample-view').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('[');
    await view.locator('.adjudication .conflict[data-path="segments.1.rating"]').waitFor({ state: 'detached', timeout: 10_000 });
    await view.locator('.segment-card[data-side="primary"][data-segment="1"][data-rating="1"]').waitFor();
    assert.equal(await conflicts.count(), 1);

    // j to line 3, ] takes theirs.
    await page.keyboard.press('j');
    await view.locator('.sample-title', { hasText: 'Line 3' }).waitFor({ timeout: 10_000 });
    await view.locator('.adjudication .conflict[data-path="segments.0.rating"]').waitFor();
    await page.keyboard.press(']');
    await view.locator('.adjudication').waitFor({ state: 'detached', timeout: 10_000 });
    await view.locator('.segment-card[data-side="primary"][data-segment="0"][data-rating="-1"]').waitFor();

    await view.locator('.sample-view').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+s');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10_000 });
    const saved = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(saved.length, original.length);
    saved.forEach((line, index) => {
      if (index !== 0 && index !== 2) assert.equal(line, original[index], `line ${index + 1} keeps its bytes`);
    });
    const annotationsOf = (line: string | undefined) => (JSON.parse(line as string) as { cot_studio: Annotations }).cot_studio;
    const first = annotationsOf(saved[0]);
    assert.deepEqual(
      first.conflicts?.map((conflict) => conflict.path),
      ['review'],
      'the review is still to adjudicate',
    );
    assert.equal(first.segments['1']?.rating, 1);
    assert.equal(first.segments['1']?.ratedBy, 'Ana', 'the rating taken is the annotator who gave it');
    assert.deepEqual(
      first.adjudications?.map(({ path, ours, theirs, taken }) => ({ path, ours, theirs, taken })),
      [{ path: 'segments.1.rating', ours: 1, theirs: -1, taken: 'ours' }],
    );
    const third = annotationsOf(saved[2]);
    assert.equal(third.conflicts, undefined);
    assert.equal(third.segments['0']?.rating, -1);
    assert.equal(third.segments['0']?.ratedBy, 'Bo');
    assert.deepEqual(
      third.adjudications?.map(({ path, taken }) => ({ path, taken })),
      [{ path: 'segments.0.rating', taken: 'theirs' }],
    );
    for (const adjudication of [...(first.adjudications ?? []), ...(third.adjudications ?? [])]) {
      assert.ok(!Number.isNaN(Date.parse(adjudication.at)), adjudication.at);
      assert.equal(adjudication.by, 'Cy Judge', 'who adjudicated');
    }
    assert.equal(first.history.at(-1)?.operation, 'adjudicate');
    assert.deepEqual(product.consoleErrors, []);
  });
});
