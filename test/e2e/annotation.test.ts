// Annotating from the keyboard in the dataset editor of the installed VSIX, checked on the bytes on disk.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import { projectRoot } from '../harness/fixtures';
import { type InstalledProduct, startInstalledProduct } from '../harness/installedProduct';
import { type Workbench, waitForCount } from '../harness/workbench';

const resultsDir = path.join(projectRoot, 'test-results');

interface Annotated {
  conversations: { value: string }[];
  cot_studio?: { review: { status: string }; segments: Record<string, { rating: number | null }>; reflections: unknown[] };
}

describe('annotating samples from the keyboard', { timeout: 10 * 60_000 }, () => {
  let product: InstalledProduct;
  let page: Page;
  let workbench: Workbench;
  let workspace: string;

  before(async () => {
    product = await startInstalledProduct((folder) => {
      // Files Quick Open must find are made before the window starts and indexes the folder.
      fs.copyFileSync(path.join(folder, 'llava_cot.jsonl'), path.join(folder, 'review.cot.jsonl'));
      fs.copyFileSync(path.join(folder, 'mmpr.jsonl'), path.join(folder, 'pairs.cot.jsonl'));
      const math = {
        messages: [
          { role: 'user', content: '<image>What is the area of the triangle?' },
          {
            role: 'assistant',
            content: '<think>The area is $\\frac{1}{2} \\times 6 \\times 8 = 24$ and the notebook costs $3.50.</think>\n<answer>24</answer>',
          },
        ],
        images: ['images/triangle.png'],
      };
      fs.writeFileSync(path.join(folder, 'math.cot.jsonl'), `${JSON.stringify(math)}\n`);
      const record = JSON.parse(fs.readFileSync(path.join(folder, 'llava_cot.jsonl'), 'utf8').split('\n')[1]) as Record<string, unknown>;
      const provenance = { source: 'model', model: 'tiny-bigram', method: 'beam', score: 0.82, createdAt: '2026-11-24T00:00:00Z' };
      record.cot_studio = {
        version: 1,
        segments: { '2': { rating: -1, alternatives: [{ text: ' The difference is 18 - 9 = 9. ', rating: null, provenance }] } },
      };
      fs.writeFileSync(path.join(folder, 'alternatives.cot.jsonl'), `${JSON.stringify(record)}\n`);
    });
    ({ page, workbench, workspace } = product);
  });

  after(() => product?.close(process.exitCode ? 'annotation-failure.png' : undefined));

  async function openCotFile(): Promise<Frame> {
    await workbench.quickOpen('review.cot.jsonl');
    return workbench.datasetView('review.cot.jsonl');
  }

  it('opens a *.cot.jsonl file with the first sample and its image', async () => {
    const view = await openCotFile();
    await view.locator('.sample-title', { hasText: 'Line 1' }).waitFor({ timeout: 30_000 });
    const image = view.locator('.sample-image');
    await image.waitFor();
    // The element exists before the picture has arrived; wait for the decode rather than sample it once.
    const loaded = await view
      .waitForFunction(
        () => {
          const img = (
            globalThis as unknown as { document: { querySelector(s: string): { complete: boolean; naturalWidth: number } | null } }
          ).document.querySelector('.sample-image');
          return img?.complete && img.naturalWidth > 0;
        },
        undefined,
        { timeout: 15_000 },
      )
      .then(
        () => true,
        () => false,
      );
    assert.ok(loaded, 'the bar chart image loads');
    assert.equal(await view.locator('.segment-card').count(), 4);
    // Once the background pass has read every record, rows carry check badges and rating progress.
    await view.locator('.record-row[data-line="8"] .record-checks', { hasText: '1' }).waitFor({ timeout: 30_000 });
    assert.equal(await view.locator('.record-row[data-line="1"] .record-rated').innerText(), '0/4');
    assert.equal(await view.getByRole('button', { name: 'Rate SUMMARY correct' }).count(), 1);
    assert.equal(await view.getByRole('button', { name: 'Accept sample' }).count(), 1);
    assert.equal(await view.getByRole('listbox', { name: 'Samples' }).count(), 1);
    fs.mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: path.join(resultsDir, 'sample-view-light.png') });
  });

  it('moves with j, edits a stage, rates, marks the first error, reflects, reviews, undoes one step and saves', async () => {
    const file = path.join(workspace, 'review.cot.jsonl');
    const original = fs.readFileSync(file, 'utf8').split('\n');
    const view = await openCotFile();
    await view.locator('.sample-title', { hasText: 'Line 1' }).waitFor({ timeout: 30_000 });
    await view.locator('.sample-view').click({ position: { x: 5, y: 5 } });

    await page.keyboard.press('j');
    await view.locator('.sample-title', { hasText: 'Line 2' }).waitFor();
    // Line 2 says 18 - 9 = 7: fix the REASONING stage in place.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('e');
    const editor = view.getByRole('textbox', { name: 'Text of REASONING' });
    await editor.fill(' 2020 shows 18 and 2021 shows 9. The difference is 18 - 9 = 9. ');
    await editor.press('Control+Enter');
    await view.locator('.segment-card[data-segment="2"] .segment-text', { hasText: '18 - 9 = 9' }).waitFor();
    await view.locator('.segment-card[data-segment="3"].stale').waitFor();

    // Focus stays on the edited REASONING card: rate it incorrect, then correct.
    await page.keyboard.press('3');
    await view.locator('.segment-card[data-segment="2"][data-rating="-1"]').waitFor();
    await page.keyboard.press('1');
    await view.locator('.segment-card[data-segment="2"][data-rating="1"]').waitFor();
    await page.keyboard.press('a');
    await view.locator('.review-status.accepted').waitFor();

    // Line 6 forgets the 1/2: first error at REASONING, then a reflection with the correction.
    for (let i = 0; i < 4; i++) await page.keyboard.press('j');
    await view.locator('.sample-title', { hasText: 'Line 6' }).waitFor();
    await view.getByRole('button', { name: 'First error at REASONING' }).click();
    await view.locator('.segment-card[data-segment="1"][data-rating="1"]').waitFor();
    await view.locator('.segment-card[data-segment="3"][data-rating="-1"]').waitFor();
    await view.getByRole('button', { name: 'Edit REASONING' }).click();
    await view.getByRole('textbox', { name: 'Correction after a reflection in REASONING' }).fill('The area is 1/2 x 6 x 8 = 24.');
    await view.getByRole('button', { name: 'Insert reflection in REASONING' }).click();
    await view.locator('.segment-card[data-segment="2"] .segment-text', { hasText: 'Let me rethink it. The area is 1/2 x 6 x 8 = 24.' }).waitFor();
    await page.keyboard.press('n');
    await view.locator('.review-status.needs_fix').waitFor();

    // Undo the last step (needs fix) only.
    await page.keyboard.press('Control+z');
    await view.locator('.review-status.unreviewed').waitFor();
    await page.keyboard.press('Control+s');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10_000 });

    await page.locator('.statusbar-item', { hasText: /Line 6 · REASONING · 1\/10 reviewed/ }).waitFor({ timeout: 10_000 });
    assert.equal(await view.locator('.dataset-progress').innerText(), '1 / 10 reviewed');
    const saved = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(saved.length, original.length);
    for (let i = 0; i < original.length; i++) if (i !== 1 && i !== 5) assert.equal(saved[i], original[i], `line ${i + 1} is untouched`);
    const line2 = JSON.parse(saved[1]) as Annotated;
    assert.match(line2.conversations[1].value, /<REASONING> 2020 shows 18 and 2021 shows 9\. The difference is 18 - 9 = 9\. <\/REASONING>/);
    assert.equal(line2.cot_studio?.review.status, 'accepted');
    assert.equal(line2.cot_studio?.segments['2'].rating, 1);
    const line6 = JSON.parse(saved[5]) as Annotated;
    assert.match(line6.conversations[1].value, /I think I have made a mistake\. Let me rethink it\. The area is 1\/2 x 6 x 8 = 24\./);
    assert.equal(line6.cot_studio?.review.status, 'unreviewed', 'the undone review is not saved');
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => line6.cot_studio?.segments[String(i)].rating),
      [1, 1, 1, -1],
      'first error at REASONING, then the reflection marks REASONING correct',
    );
    assert.equal(line6.cot_studio?.reflections.length, 1);
  });

  it('accepts an alternative after reading its word diff', async () => {
    const file = path.join(workspace, 'alternatives.cot.jsonl');
    await workbench.quickOpen('alternatives.cot.jsonl');
    const view = await workbench.datasetView('alternatives.cot.jsonl');
    const panel = view.locator('.segment-card[data-segment="2"] .alternatives');
    await panel.waitFor({ timeout: 30_000 });
    assert.match(await panel.locator('.alternative-meta').innerText(), /model · tiny-bigram · beam · score 0\.82/);
    assert.ok((await panel.locator('ins.diff-added').count()) > 0, 'the diff marks added words');
    await view.getByRole('button', { name: 'Accept alternative 1 for REASONING' }).click();
    await view.locator('.segment-card[data-segment="2"] .segment-text', { hasText: 'The difference is 18 - 9 = 9.' }).waitFor();
    await page.keyboard.press('Control+s');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10_000 });
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      conversations: { value: string }[];
      cot_studio: { preferencePairs: { origin: string; chosen: string }[] };
    };
    assert.match(saved.conversations[1].value, /<REASONING> The difference is 18 - 9 = 9\. <\/REASONING>/);
    assert.deepEqual(
      saved.cot_studio.preferencePairs.map((pair) => [pair.origin, pair.chosen]),
      [['accepted-alternative', ' The difference is 18 - 9 = 9. ']],
    );
  });

  it('shows an MMPR pair side by side and swaps it when the rejected side is better', async () => {
    const file = path.join(workspace, 'pairs.cot.jsonl');
    const original = fs.readFileSync(file, 'utf8').split('\n');
    await workbench.quickOpen('pairs.cot.jsonl');
    const view = await workbench.datasetView('pairs.cot.jsonl');
    await view.locator('.pair-columns').waitFor({ timeout: 30_000 });
    assert.ok((await view.locator('.pair-diff del.diff-removed').count()) > 0, 'the rejected side shows what differs');
    await view.getByRole('button', { name: 'Mark chosen as better' }).click();
    await view.getByRole('button', { name: 'Swap chosen and rejected' }).click();
    await view.locator('.response.chosen .segment-text', { hasText: 'x = 6 + 8 = 14.' }).waitFor();
    await page.keyboard.press('Control+s');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10_000 });
    const saved = JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[0]) as { chosen: string; rejected: string; cot_studio: { preferencePairs: unknown[] } };
    const before = JSON.parse(original[0]) as { chosen: string; rejected: string };
    assert.equal(saved.chosen, before.rejected);
    assert.equal(saved.rejected, before.chosen);
    assert.equal(saved.cot_studio.preferencePairs.length, 1);
    assert.equal(fs.readFileSync(file, 'utf8').split('\n')[1], original[1]);
  });

  it('filters the list by text and by failing check, with counts', async () => {
    const view = await openCotFile();
    await view.locator('.sample-title').first().waitFor({ timeout: 30_000 });
    const records = fs
      .readFileSync(path.join(workspace, 'review.cot.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { conversations: { value: string }[] });
    const withTriangle = records.filter((record) => record.conversations.some((turn) => turn.value.toLowerCase().includes('triangle'))).length;
    assert.ok(withTriangle > 0 && withTriangle < records.length);
    await view.getByRole('searchbox', { name: 'Search question and response' }).fill('Triangle');
    await view.locator('.filter-summary', { hasText: `${withTriangle} of ${records.length} match` }).waitFor({ timeout: 10_000 });
    // The summary and the rows come in separate messages: wait for the rows to follow.
    const rows = view.locator('.record-row[data-line]');
    await waitForCount(rows, withTriangle);
    assert.equal(await rows.count(), withTriangle);
    await view.getByRole('button', { name: 'Clear filters' }).click();
    await waitForCount(rows, 10);
    assert.equal(await view.locator('.filter-summary').textContent(), '');
    const checks = view.getByRole('combobox', { name: 'Filter by failing check' });
    await view.locator('vscode-option', { hasText: 'stage-grammar (2)' }).waitFor({ state: 'attached' });
    await checks.click();
    await view.getByRole('option', { name: 'stage-grammar (2)' }).click();
    await view.locator('.filter-summary', { hasText: '2 of 10 match' }).waitFor({ timeout: 10_000 });
    await waitForCount(rows, 2);
    assert.deepEqual(await rows.evaluateAll((found) => found.map((row) => row.getAttribute('data-line'))), ['8', '10']);
    await view.locator('.sample-title', { hasText: 'Line 8' }).waitFor();
    await view.getByRole('button', { name: 'Clear filters' }).click();
  });

  it('shows a dataset overview whose charts follow the work', async () => {
    const view = await openCotFile();
    await view.locator('.sample-title').first().waitFor({ timeout: 30_000 });
    await workbench.runCommand('CoT Studio: Dataset Overview');
    const overview = await workbench.webviewWith('.overview');
    const review = overview.getByRole('img', { name: 'Review status' });
    await review.waitFor({ timeout: 30_000 });
    await overview.locator('.overview-state', { hasText: 'records with errors' }).waitFor({ timeout: 30_000 });
    assert.match(await overview.locator('.dataset-title').innerText(), /review\.cot\.jsonl: 10 records/);
    const formats = overview.getByRole('img', { name: 'Records by format' });
    assert.match((await formats.textContent()) ?? '', /llava-cot\s*10/);
    const accepted = () => review.locator('text.chart-value').nth(1).textContent();
    const before = Number(await accepted());
    await page.locator('.tab', { hasText: 'review.cot.jsonl' }).first().click();
    const dataset = await workbench.datasetView('review.cot.jsonl');
    await dataset.getByRole('button', { name: 'Accept sample' }).click();
    const deadline = Date.now() + 15_000;
    while (Number(await accepted()) !== before + 1 && Date.now() < deadline) await page.waitForTimeout(200);
    assert.equal(Number(await accepted()), before + 1, 'the overview counts the new review');
    // The theme toggles, not the theme picker: the picker searches the marketplace, which is offline here.
    for (const [command, kind, file] of [
      ['Preferences: Toggle between Light/Dark Themes', 'vs-dark', 'overview-dark.png'],
      ['Preferences: Toggle between Light/Dark Themes', 'vs', 'overview-light.png'],
    ]) {
      await workbench.runCommand(command);
      await page.locator(`.monaco-workbench.${kind}`).waitFor({ timeout: 15_000 });
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(resultsDir, file) });
    }
    // High contrast through a workspace setting, which the workbench applies as the file changes.
    const settings = path.join(workspace, '.vscode', 'settings.json');
    fs.mkdirSync(path.dirname(settings), { recursive: true });
    fs.writeFileSync(settings, JSON.stringify({ 'workbench.colorTheme': 'Default High Contrast' }));
    await page.locator('.monaco-workbench.hc-black').waitFor({ timeout: 20_000 });
    await page.locator('.tab', { hasText: 'review.cot.jsonl' }).first().click();
    await (await workbench.datasetView('review.cot.jsonl')).locator('.review-bar .codicon-pass').waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(resultsDir, 'sample-view-high-contrast.png') });
    fs.rmSync(settings);
    await page.locator('.monaco-workbench.vs').waitFor({ timeout: 20_000 });
    await page.keyboard.press('Control+z');
  });

  it('typesets LaTeX in reasoning and shows it raw on request', async () => {
    await workbench.quickOpen('math.cot.jsonl');
    const view = await workbench.datasetView('math.cot.jsonl');
    const think = view.locator('.segment-card[data-segment="0"] .segment-text');
    await think.locator('.katex').first().waitFor({ timeout: 30_000 });
    assert.equal(await think.locator('.katex').count(), 1, 'one formula; the price $3.50 stays text');
    assert.match(await think.innerText(), /costs \$3\.50/);
    // Moving the focus draws nothing again; a rating draws its own card only, and nothing is typeset again.
    const cards = view.locator('.segment-card');
    const cardCount = await cards.count();
    assert.ok(cardCount >= 2, 'a think card and an answer card');
    // Each card carries the number of the draw that made it; a typeset formula is marked to see whether it is replaced.
    const draws = () => cards.evaluateAll((nodes) => nodes.map((node) => `${node.getAttribute('data-segment')}:${node.getAttribute('data-drawn')}`));
    await view.locator('.katex').evaluateAll((nodes) => {
      for (const node of nodes) node.setAttribute('data-probe', 'typeset before');
    });
    const before = await draws();
    await view.locator('.sample-view').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('ArrowDown');
    await view.locator('.segment-card.focused[data-segment="1"]').waitFor();
    assert.deepEqual(await draws(), before, 'a focus move draws no card');
    await page.keyboard.press('1');
    await view.locator('.segment-card[data-segment="1"][data-rating="1"]').waitFor();
    const after = await draws();
    const drawnAgain = after.filter((card) => !before.includes(card)).map((card) => card.split(':')[0]);
    assert.deepEqual(drawnAgain, ['1'], 'the rated card alone is drawn again');
    assert.equal(await view.locator('.katex:not([data-probe])').count(), 0, 'no formula is typeset again');
    await view.locator('.segment-card.focused[data-segment="1"]').waitFor();
    await view.getByRole('button', { name: 'Render LaTeX' }).click();
    await think.filter({ hasText: '$\\frac{1}{2} \\times 6 \\times 8 = 24$' }).waitFor();
    assert.equal(await think.locator('.katex').count(), 0);
    await view.getByRole('button', { name: 'Render LaTeX' }).click();
    await think.locator('.katex').first().waitFor();
  });

  it('shows the shortcuts with ? and logs no console errors', async () => {
    const view = await openCotFile();
    await view.locator('.sample-view').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('?');
    const dialog = view.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    // The overlay fits its list: nothing scrolls, and no more than its padding surrounds the table.
    const fit = await dialog.evaluate((overlay) => {
      const table = overlay.querySelector('table')?.getBoundingClientRect();
      const box = overlay.getBoundingClientRect();
      return {
        scrolls: overlay.scrollHeight > overlay.clientHeight || overlay.scrollWidth > overlay.clientWidth,
        spare: box.width - (table?.width ?? 0),
        width: box.width,
      };
    });
    assert.equal(fit.scrolls, false, 'the list is not cut off');
    assert.ok(fit.spare <= 2 * 24 + 2 + 1, `the overlay is ${fit.width}px wide, ${fit.spare}px more than its list`);
    await page.keyboard.press('Escape');
    await view.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor({ state: 'hidden' });
    assert.deepEqual(product.consoleErrors, []);
  });
});
