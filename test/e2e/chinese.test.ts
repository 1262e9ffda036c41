// The installed VSIX in the zh-cn display language: the manifest's strings (the palette), the host's (the status
// bar) and the sample view's are Chinese. VS Code's own UI stays English: its Chinese language pack cannot be
// downloaded offline, and the stand-in pack the harness installs translates nothing of VS Code's.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { projectRoot } from '../harness/fixtures';
import { type InstalledProduct, startInstalledProduct } from '../harness/installedProduct';
import type { Workbench } from '../harness/workbench';

const resultsDir = path.join(projectRoot, 'test-results');

/**
 * What VS Code itself logs offline in a language other than English: it asks the marketplace for its built-in
 * extensions' translations, which cannot be reached, and some of those extensions then fail to activate.
 */
function isOfflineLanguageNoise(message: string): boolean {
  return (
    message === 'Failed to load resource: net::ERR_NAME_NOT_RESOLVED' ||
    message.includes('getBuiltInExtensionTranslationsUri') ||
    /^Activating extension 'vscode\.[\w-]+' failed: Not Found\.$/.test(message)
  );
}

describe('the zh-cn display language', { timeout: 10 * 60_000 }, () => {
  let product: InstalledProduct;
  let page: Page;
  let workbench: Workbench;

  before(async () => {
    product = await startInstalledProduct((folder) => fs.copyFileSync(path.join(folder, 'llava_cot.jsonl'), path.join(folder, 'review.cot.jsonl')), {
      locale: 'zh-cn',
    });
    ({ page, workbench } = product);
  });

  after(() => product?.close(process.exitCode ? 'chinese-failure.png' : undefined));

  it('shows the sample view in Chinese, with the page in the display language', async () => {
    await workbench.quickOpen('review.cot.jsonl');
    const view = await workbench.datasetView('review.cot.jsonl');
    await view.locator('.sample-title', { hasText: '第 1 行' }).waitFor({ timeout: 30_000 });
    // The page's language is what the extension host reports as vscode.env.language.
    assert.equal(await view.locator('html').getAttribute('lang'), 'zh-cn');
    assert.equal(await view.getByRole('button', { name: '接受样本' }).count(), 1);
    assert.equal(await view.getByRole('button', { name: '将 SUMMARY 评为正确' }).count(), 1);
    assert.equal(await view.getByRole('listbox', { name: '样本' }).count(), 1);
    await view.locator('.dataset-help', { hasText: '按 ? 查看快捷键' }).waitFor();
    await view.locator('.dataset-lines', { hasText: '10 条记录，共 10 行' }).waitFor({ timeout: 30_000 });
    // The host's own strings: the status bar names the line in Chinese.
    await page.locator('.statusbar-item', { hasText: /第 1 行/ }).waitFor({ timeout: 10_000 });
    fs.mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: path.join(resultsDir, 'sample-view-zh-cn.png') });
  });

  it('lists the commands under their Chinese titles', async () => {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.fill('>CoT Studio: 打开示例数据集');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'CoT Studio: 打开示例数据集' }).first().waitFor({ timeout: 30_000 });
    await input.press('Escape');
  });

  it('keeps the browser console free of errors, but for those of VS Code itself offline', () => {
    assert.deepEqual(
      product.consoleErrors.filter((message) => !isOfflineLanguageNoise(message)),
      [],
    );
  });
});
