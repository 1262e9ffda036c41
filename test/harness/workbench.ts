import type { ConsoleMessage, Frame, Locator, Page } from 'playwright-core';

/** Drives the VS Code workbench the way a user does: keyboard and visible UI only. */
export class Workbench {
  constructor(readonly page: Page) {}

  async ready(): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    // The status bar appears once the window has restored; commands typed earlier can be lost.
    await this.page.locator('.statusbar').waitFor({ timeout: 60_000 });
  }

  /**
   * Runs a command from the palette by its title, as a user types it. Right after start-up the palette
   * can open before extension commands are listed, and focus moving elsewhere closes it, so it is reopened
   * until the command is chosen.
   */
  async runCommand(title: string, timeoutMs = 60_000): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.page.keyboard.press('F1');
      try {
        // The palette also closes when something else takes the focus (a webview that just re-rendered): then it is opened again.
        await input.waitFor({ timeout: 5_000 });
        await input.fill(`>${title}`, { timeout: 5_000 });
        await row.waitFor({ timeout: 5_000 });
        await input.press('Enter', { timeout: 5_000 });
        return;
      } catch (error) {
        await this.page.keyboard.press('Escape');
        if (Date.now() > deadline) throw error;
      }
    }
  }

  /** Opens a file with Quick Open, as a user does; `*.cot.jsonl` opens in the dataset editor by default. */
  async quickOpen(fileName: string): Promise<void> {
    await this.page.keyboard.press('Control+p');
    const input = this.page.locator('.quick-input-widget input');
    await input.fill(fileName);
    await this.page.locator('.quick-input-list .monaco-list-row.focused', { hasText: fileName }).waitFor({ timeout: 60_000 });
    await input.press('Enter');
  }

  /** Picks an item in the quick pick titled `title` by typing its label, once it is the focused row. */
  async pick(title: string, label: string): Promise<void> {
    await this.page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ timeout: 30_000 });
    const input = this.page.locator('.quick-input-widget input');
    await input.fill(label);
    await this.page.locator('.quick-input-list .monaco-list-row.focused', { hasText: label }).waitFor({ timeout: 30_000 });
    await input.press('Enter');
  }

  /**
   * The document frame of the dataset view showing `fileName`. VS Code lays webviews over the editor area
   * as iframes of the workbench (hidden ones included, and replaced as editors switch), so this looks
   * through the visible ones until the right dataset is on screen.
   */
  async datasetView(fileName: string, timeoutMs = 60_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const frame of await this.visibleWebviews()) {
        const title = await frame
          .locator('.dataset-title')
          .textContent({ timeout: 500 })
          .catch(() => null);
        if (title === fileName) return frame;
      }
      if (Date.now() > deadline) throw new Error(`no dataset view for ${fileName} appeared within ${timeoutMs / 1000} s`);
      await this.page.waitForTimeout(250);
    }
  }

  /** The document frame of the visible webview that holds `selector` (an overview page, say). */
  async webviewWith(selector: string, timeoutMs = 60_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const frame of await this.visibleWebviews()) {
        if (
          (await frame
            .locator(selector)
            .count()
            .catch(() => 0)) > 0
        )
          return frame;
      }
      if (Date.now() > deadline) throw new Error(`no webview with ${selector} appeared within ${timeoutMs / 1000} s`);
      await this.page.waitForTimeout(250);
    }
  }

  /** The document frames of the webviews on screen (each sits in an outer frame VS Code manages). */
  private async visibleWebviews(): Promise<Frame[]> {
    const frames: Frame[] = [];
    for (const outer of await this.page.locator('iframe.webview.ready').filter({ visible: true }).all()) {
      const inner = await (await outer.elementHandle().catch(() => null))?.contentFrame();
      const active = await (
        await inner
          ?.locator('iframe#active-frame')
          .elementHandle()
          .catch(() => null)
      )?.contentFrame();
      if (active) frames.push(active);
    }
    return frames;
  }

  /** Text of the output channel shown in the panel (Monaco renders spaces as no-break spaces). */
  async outputText(): Promise<string> {
    const texts = await this.page.locator('.part.panel .view-lines').allInnerTexts();
    return texts.join('\n').replace(/\u00a0/g, ' ');
  }
}

/** Waits until a locator matches exactly `count` elements (Playwright's own waits are for one). */
export async function waitForCount(locator: Locator, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await locator.count();
    if (found === count) return;
    if (Date.now() > deadline) throw new Error(`expected ${count} elements, found ${found}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Console errors that come from code-server itself, not from CoT Studio: it does not ship VS Code's
 * closed-source vsda module (its load 404s), and closing a quick pick while the palette is still filling it
 * (the retry in runCommand) logs the cancellation.
 */
export function isWorkbenchNoise(message: ConsoleMessage): boolean {
  return message.location().url.includes('/node_modules/vsda/') || /^%c\s+ERR color: #f33 Canceled: Canceled/.test(message.text());
}
