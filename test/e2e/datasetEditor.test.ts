// The packaged VSIX installed into code-server, driven in Chromium like a user would.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { TEST_ANNOTATOR } from '../harness/fixtures';
import { type InstalledProduct, startInstalledProduct } from '../harness/installedProduct';
import type { Workbench } from '../harness/workbench';

/** The question a user sees for a LLaVA-CoT record: the human turn without the image placeholder. */
function expectedQuestion(line: string): string {
  const record = JSON.parse(line) as { conversations: { from: string; value: string }[] };
  const human = record.conversations.find((turn) => turn.from === 'human');
  return (human?.value ?? '')
    .replace(/<image>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('the installed VSIX in code-server', { timeout: 10 * 60_000 }, () => {
  let product: InstalledProduct;
  let page: Page;
  let workbench: Workbench;
  let workspace: string;

  before(async () => {
    product = await startInstalledProduct();
    ({ page, workbench, workspace } = product);
  });

  after(() => product?.close(process.exitCode ? 'e2e-failure.png' : undefined));

  // About 20 MB of onnxruntime and the bundles, and 8.5 MB of sharp and libvips, which decode a vision-language model's images.
  it('packages a linux-x64 VSIX under 32 MB', () => {
    const megabytes = fs.statSync(product.vsix).size / 1e6;
    assert.ok(megabytes < 32, `the VSIX is ${megabytes.toFixed(1)} MB`);
  });

  it('installs with only the linux-x64 onnxruntime and sharp binaries', () => {
    const { extensionsDir } = product;
    const installed = fs.readdirSync(extensionsDir).find((name) => name.startsWith('cot-studio.cot-studio-'));
    assert.ok(installed, `the extension is not in ${extensionsDir}`);
    const napi = path.join(extensionsDir, installed, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
    assert.deepEqual(fs.readdirSync(napi), ['linux']);
    assert.deepEqual(fs.readdirSync(path.join(napi, 'linux')), ['x64']);
    assert.ok(fs.existsSync(path.join(napi, 'linux', 'x64', 'onnxruntime_binding.node')));
    const sharp = fs.readdirSync(path.join(extensionsDir, installed, 'node_modules', '@img')).filter((name) => name.startsWith('sharp-'));
    assert.deepEqual(sharp.sort(), ['sharp-libvips-linux-x64', 'sharp-linux-x64'], 'only the linux-x64 image libraries');
  });

  it('opens a dataset from the palette and lists its records with line numbers and questions', async () => {
    await workbench.runCommand('CoT Studio: Open Dataset');
    await workbench.pick('Open Dataset', 'llava_cot.jsonl');
    const view = await workbench.datasetView('llava_cot.jsonl');
    await view.locator('.record-row[data-line]').first().waitFor({ timeout: 30_000 });
    assert.equal(await view.locator('.dataset-title').innerText(), 'llava_cot.jsonl');
    assert.equal(await view.locator('.dataset-lines').innerText(), '10 records on 10 lines');
    assert.equal(await view.getByRole('listbox', { name: 'Samples' }).count(), 1);

    const lines = fs.readFileSync(path.join(workspace, 'llava_cot.jsonl'), 'utf8').trimEnd().split('\n');
    const rows = view.locator('.record-row[data-line]');
    assert.equal(await rows.count(), lines.length);
    for (let i = 0; i < lines.length; i++) {
      const row = rows.nth(i);
      assert.equal(await row.locator('.record-line').innerText(), String(i + 1));
      assert.equal(await row.locator('.record-question').innerText(), expectedQuestion(lines[i]));
    }
  });

  it('reviews a sample from the palette, shows it in the list, and undoes it with Ctrl+Z before saving', async () => {
    const file = path.join(workspace, 'llava_cot.jsonl');
    const original = fs.readFileSync(file);
    await workbench.runCommand('CoT Studio: Open Dataset');
    await workbench.pick('Open Dataset', 'llava_cot.jsonl');
    const view = await workbench.datasetView('llava_cot.jsonl');
    const firstRow = view.locator('.record-row[data-line="1"]');
    await firstRow.waitFor({ timeout: 30_000 });
    await workbench.runCommand('CoT Studio: Set Review Status');
    await workbench.pick('Review llava_cot.jsonl:1', 'Accepted');
    const note = page.locator('.quick-input-widget input');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Note for llava_cot.jsonl:1' }).waitFor();
    await note.fill('checked the bar values');
    await note.press('Enter');
    await view.locator('.record-row[data-line="1"][data-review="accepted"] .record-review', { hasText: 'accepted' }).waitFor({ timeout: 30_000 });
    await page.locator('.tab.active.dirty').waitFor({ timeout: 10_000 });

    await page.keyboard.press('Control+s');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10_000 });
    const saved = fs.readFileSync(file, 'utf8').split('\n');
    assert.deepEqual((JSON.parse(saved[0]) as { cot_studio: { review: unknown } }).cot_studio.review, {
      status: 'accepted',
      note: 'checked the bar values',
      by: TEST_ANNOTATOR,
    });
    assert.deepEqual(saved.slice(1), original.toString('utf8').split('\n').slice(1), 'only the reviewed line changed');

    await firstRow.click();
    await page.keyboard.press('Control+z');
    await view.locator('.record-row[data-line="1"][data-review="unreviewed"]').waitFor({ timeout: 10_000 });
    await page.keyboard.press('Control+s');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10_000 });
    assert.ok(fs.readFileSync(file).equals(original), 'undo then save gives back the original bytes');
  });

  it('asks what to do when the file changes on disk under unsaved edits, and keeps both', async () => {
    const file = path.join(workspace, 'mmpr.jsonl');
    await workbench.runCommand('CoT Studio: Open Dataset');
    await workbench.pick('Open Dataset', 'mmpr.jsonl');
    const view = await workbench.datasetView('mmpr.jsonl');
    await view.locator('.record-row[data-line="2"]').waitFor({ timeout: 30_000 });
    await workbench.runCommand('CoT Studio: Set Review Status');
    await workbench.pick('Review mmpr.jsonl:1', 'Needs fix');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Note for mmpr.jsonl:1' }).waitFor();
    await page.locator('.quick-input-widget input').press('Enter');
    await page.locator('.tab.active.dirty').waitFor({ timeout: 10_000 });

    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const record = JSON.parse(lines[1]) as { question: string };
    record.question = 'Changed by another program?';
    lines[1] = JSON.stringify(record);
    fs.writeFileSync(file, lines.join('\n'));

    const toast = page.locator('.notification-toast', { hasText: 'changed on disk while it has unsaved edits' });
    await toast.waitFor({ timeout: 30_000 });
    await toast.getByRole('button', { name: 'Reload and Reapply My Edits' }).click();
    await view.locator('.record-row[data-line="2"] .record-question', { hasText: 'Changed by another program?' }).waitFor({ timeout: 10_000 });
    await view.locator('.record-row[data-line="1"][data-review="needs_fix"]').waitFor({ timeout: 10_000 });
    await page.keyboard.press('Control+s');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10_000 });
    const saved = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal((JSON.parse(saved[1]) as { question: string }).question, 'Changed by another program?');
    assert.equal((JSON.parse(saved[0]) as { cot_studio: { review: { status: string } } }).cot_studio.review.status, 'needs_fix');
  });

  it('shows unreadable lines with their reason and keeps their line numbers', async () => {
    await workbench.runCommand('CoT Studio: Open Dataset');
    await workbench.pick('Open Dataset', 'edge_cases.jsonl');
    const view = await workbench.datasetView('edge_cases.jsonl');
    const problems = view.locator('.record-row.problem');
    await problems.first().waitFor({ timeout: 30_000 });
    const texts = await problems.locator('.record-question').allInnerTexts();
    assert.ok(
      texts.some((text) => text.startsWith('not valid JSON')),
      texts.join('\n'),
    );
    assert.ok(
      texts.some((text) => text.includes('found an array')),
      texts.join('\n'),
    );
    const source = fs.readFileSync(path.join(workspace, 'edge_cases.jsonl'), 'utf8').split('\n');
    for (const line of await problems.evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-line'))))) {
      let parsed = true;
      try {
        const value: unknown = JSON.parse(source[line - 1].replace(/^\uFEFF/, ''));
        parsed = typeof value === 'object' && value !== null && !Array.isArray(value);
      } catch {
        parsed = false;
      }
      assert.equal(parsed, false, `line ${line} is a valid record but is shown as a problem`);
    }
  });

  it('loads onnxruntime-node from the installed extension (Show Model Status)', async () => {
    await workbench.runCommand('CoT Studio: Show Model Status');
    const deadline = Date.now() + 60_000;
    let visible = '';
    while (!visible.includes('running on cpu') && Date.now() < deadline) {
      await page.waitForTimeout(250);
      visible = await workbench.outputText();
    }
    assert.match(visible, /running on cpu/, 'the output panel shows where the bundled model runs');
    // The panel shows only its last lines; the channel's log file has all of them.
    const logs = path.join(path.dirname(product.extensionsDir), 'user-data', 'logs');
    const logFile = fs.readdirSync(logs, { recursive: true, encoding: 'utf8' }).find((file) => file.endsWith('CoT Studio.log'));
    assert.ok(logFile, `no CoT Studio.log under ${logs}`);
    const output = fs.readFileSync(path.join(logs, logFile), 'utf8');
    assert.match(output, /onnxruntime-node 1\.30\.0 on linux-x64/);
    assert.match(output, /cpu: ok - ran a 4-element Add/);
    assert.match(output, /in use \(setting auto\): cpu/);
    const loadedFrom = /loaded from (\S+)/.exec(output)?.[1] ?? '';
    assert.ok(loadedFrom.startsWith(product.extensionsDir), `onnxruntime-node was loaded from ${loadedFrom}, not the installed extension`);
    assert.match(output, /model tiny-bigram: \S+\/dist\/models\/tiny-bigram\/onnx\/model_fp16\.onnx/);
    assert.match(output, /webgpu not used: /, 'why the faster providers were not used');
  });

  it('logged no errors in the browser console', () => {
    assert.deepEqual(product.consoleErrors, []);
  });
});
