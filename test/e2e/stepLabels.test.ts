// The step-label workflow in the installed VSIX: Monte Carlo scores by the bundled model, suggested labels by a
// judge served over the OpenAI-compatible API (a scripted judge stands in for a judge model), confirmed and
// overridden from the keyboard, a typed first error with a box drawn on the image, the disagreement filter, a save.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import type { Annotations } from '../../src/dataset/annotations';
import type { RunningServer } from '../../src/serve';
import { projectRoot } from '../harness/fixtures';
import { type InstalledProduct, startInstalledProduct } from '../harness/installedProduct';
import { startScriptedJudge } from '../harness/scriptedJudge';
import type { Workbench } from '../harness/workbench';

const resultsDir = path.join(projectRoot, 'test-results');
/** LLaVA-CoT sample 1 with its ground truth (its conclusion's 2022), then sample 2 as it is. */
const FILE = 'steps.cot.jsonl';

describe('labelling steps with a model, then by hand', { timeout: 5 * 60_000 }, () => {
  let product: InstalledProduct;
  let page: Page;
  let workbench: Workbench;
  let workspace: string;
  let judge: RunningServer;

  before(async () => {
    judge = await startScriptedJudge();
    product = await startInstalledProduct((folder) => {
      const [first, second] = fs.readFileSync(path.join(folder, 'llava_cot.jsonl'), 'utf8').split('\n');
      fs.writeFileSync(path.join(folder, FILE), `${JSON.stringify({ ...(JSON.parse(first as string) as object), answer: '2022' })}\n${second}\n`);
    });
    ({ page, workbench, workspace } = product);
  });

  after(async () => {
    await product?.close(process.exitCode ? 'step-labels-failure.png' : undefined);
    await judge?.close();
  });

  const card = (view: Frame, segment: number) => view.locator(`.segment-card[data-side="primary"][data-segment="${segment}"]`);

  it('scores by rollouts, pre-labels, confirms and overrides by key, types the first error with a box, filters to disagreements and saves one line', async () => {
    const file = path.join(workspace, FILE);
    const original = fs.readFileSync(file, 'utf8').split('\n');
    await workbench.quickOpen(FILE);
    const view = await workbench.datasetView(FILE);
    await view.locator('.sample-title', { hasText: 'Line 1' }).waitFor({ timeout: 30_000 });
    await view.locator('.sample-view').click({ position: { x: 5, y: 5 } });

    // m: Monte Carlo scores with the bundled model, a bar on every card.
    await page.keyboard.press('m');
    const bars = view.locator('.segment-card[data-side="primary"] .segment-mc meter');
    await bars.nth(3).waitFor({ timeout: 120_000 });
    assert.equal(await bars.nth(3).evaluate((node) => (node as unknown as { value: number }).value), 1, 'the conclusion states the ground truth');

    // p: suggestions from the judge, once the extension has read the settings that name it.
    fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
    fs.writeFileSync(
      path.join(workspace, '.vscode', 'settings.json'),
      JSON.stringify({ 'cotStudio.backend': 'openai', 'cotStudio.openai.baseUrl': judge.url, 'cotStudio.openai.model': 'scripted-step-judge' }),
    );
    const chips = view.locator('.segment-card[data-side="primary"] .segment-prelabel');
    for (let attempt = 1; attempt <= 10 && (await chips.count()) < 4; attempt++) {
      await view.locator('.sample-view').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('p');
      await chips
        .nth(3)
        .waitFor({ timeout: 3_000 })
        .catch(() => undefined);
    }
    assert.equal(await chips.count(), 4, 'a suggestion on every stage');
    // The scripted judge calls a step with a digit incorrect: only SUMMARY has none.
    assert.deepEqual(await chips.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-label'))), ['1', '-1', '-1', '-1']);
    assert.deepEqual(await view.locator('.segment-card[data-side="primary"][data-rating="none"]').count(), 4, 'no suggestion is a rating');

    // c on SUMMARY takes its suggestion; C takes the rest; 1 on CAPTION overrides its suggestion.
    await card(view, 0).click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('c');
    await view.locator('.segment-card[data-segment="0"][data-rating="1"] .segment-prelabel[data-decision="confirmed"]').waitFor();
    await page.keyboard.press('C');
    await view.locator('.segment-card[data-segment="3"][data-rating="-1"]').waitFor();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('1');
    await view.locator('.segment-card[data-segment="1"][data-rating="1"] .segment-prelabel[data-decision="overridden"]').waitFor();

    // REASONING is now the first error: a perception error, with a box dragged on the zoomed image.
    const reasoning = card(view, 2);
    await reasoning.getByRole('button', { name: 'REASONING misreads the image' }).click();
    await reasoning.getByRole('button', { name: 'Draw where REASONING misreads the image' }).click();
    const image = view.locator('.image-frame.drawing .sample-image');
    await image.waitFor();
    await view.waitForFunction(() => {
      const img = (
        globalThis as unknown as { document: { querySelector(s: string): { complete: boolean; naturalWidth: number } | null } }
      ).document.querySelector('.sample-image');
      return img?.complete && img.naturalWidth > 0;
    });
    const box = await image.boundingBox();
    assert.ok(box, 'the image is on screen');
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.3);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.6, { steps: 4 });
    await page.mouse.up();
    await view.locator('.image-boxes .image-box').waitFor({ timeout: 10_000 });

    // The disagreement filter: the conclusion is rated -1 and every rollout from it reached the answer; its card says so.
    await card(view, 3).locator('.segment-disagreement').waitFor();
    await view.locator('.filter-disagreement').click();
    await view.locator('.filter-summary', { hasText: '1 of 2 match' }).waitFor({ timeout: 15_000 });
    fs.mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: path.join(resultsDir, 'step-labels.png') });

    await view.locator('.sample-view').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+s');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10_000 });
    const saved = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(saved.length, original.length);
    assert.equal(saved[1], original[1], 'the other record keeps its bytes');
    const { cot_studio: annotations } = JSON.parse(saved[0] as string) as { cot_studio: Annotations };
    const segments = [0, 1, 2, 3].map((index) => annotations.segments[String(index)]);
    assert.deepEqual(
      segments.map((segment) => segment?.rating),
      [1, 1, -1, -1],
    );
    assert.deepEqual(
      segments.map((segment) => segment?.prelabel?.decision),
      ['confirmed', 'overridden', 'confirmed', 'confirmed'],
    );
    assert.equal(segments[0]?.ratingProvenance?.method, 'confirmed-prelabel');
    assert.equal(segments[1]?.ratingProvenance?.method, 'overrode-prelabel');
    assert.ok(segments.every((segment) => segment?.monteCarlo?.policy === 'tiny-bigram'));
    const firstError = segments[2]?.firstError;
    assert.equal(firstError?.type, 'perception');
    assert.ok(firstError?.box && firstError.box.width > 10 && firstError.box.height > 10, JSON.stringify(firstError));
  });
});
