import type { Frame, Page } from 'playwright-core';

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
   * can open before extension commands are listed, so it is reopened until the command shows.
   */
  async runCommand(title: string, timeoutMs = 60_000): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.page.keyboard.press('F1');
      await input.waitFor();
      await input.fill(`>${title}`);
      try {
        await row.waitFor({ timeout: 5_000 });
        await input.press('Enter');
        return;
      } catch (error) {
        await this.page.keyboard.press('Escape');
        if (Date.now() > deadline) throw error;
      }
    }
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
   * The document frame of the webview on screen. VS Code lays webviews over the editor area as iframes
   * of the workbench, hidden ones included, so the visible one is the active editor's.
   */
  async activeWebview(): Promise<Frame> {
    const outer = this.page.locator('iframe.webview.ready').filter({ visible: true }).first();
    await outer.waitFor({ timeout: 60_000 });
    const outerFrame = await (await outer.elementHandle())?.contentFrame();
    if (!outerFrame) throw new Error('the webview iframe has no frame');
    const inner = outerFrame.locator('iframe#active-frame');
    await inner.waitFor({ timeout: 30_000 });
    const frame = await (await inner.elementHandle())?.contentFrame();
    if (!frame) throw new Error('the webview has no active frame');
    return frame;
  }

  /** Text of the output channel shown in the panel (Monaco renders spaces as no-break spaces). */
  async outputText(): Promise<string> {
    const texts = await this.page.locator('.part.panel .view-lines').allInnerTexts();
    return texts.join('\n').replace(/\u00a0/g, ' ');
  }
}
