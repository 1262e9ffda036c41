import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { loadCodeServer } from './codeServer';
import { makeWorkspace, projectRoot } from './fixtures';
import { isWorkbenchNoise, Workbench } from './workbench';

const resultsDir = path.join(projectRoot, 'test-results');

/** What scripts/package.mjs exports (an ES module, loaded from this CommonJS bundle with a dynamic import). */
type PackageScript = typeof import('../../scripts/package.mjs', { with: { 'resolution-mode': 'import' }});

/** The packaged VSIX installed into a fresh code-server profile, open in headless Chromium on a workspace. */
export interface InstalledProduct {
  page: Page;
  workbench: Workbench;
  workspace: string;
  vsix: string;
  extensionsDir: string;
  /** The code-server process: its descendants include the extension host. */
  serverPid: number | undefined;
  /** Browser console errors and page errors, less code-server's own noise. */
  consoleErrors: string[];
  /** Closes everything; with a name, saves a screenshot to test-results/ first. */
  close(screenshot?: string): Promise<void>;
}

/**
 * Packages the VSIX if there is none, installs it, and opens a copy of the sample datasets. `prepare`
 * adds files before the window starts, so that Quick Open's index finds them.
 */
export async function startInstalledProduct(prepare: (workspace: string) => void = () => undefined): Promise<InstalledProduct> {
  const codeServer = await loadCodeServer();
  const { packageVsix, vsixPath } = (await import(path.join(projectRoot, 'scripts', 'package.mjs'))) as PackageScript;
  codeServer.ensureCodeServer();
  const vsix = fs.existsSync(vsixPath()) ? vsixPath() : packageVsix();
  const profile = codeServer.makeProfile();
  codeServer.installVsix(profile, vsix);
  const workspace = makeWorkspace();
  prepare(workspace);
  const server = await codeServer.startCodeServer(profile, { folder: workspace });
  const browser = await chromium.launch({ executablePath: codeServer.chromiumPath(), args: codeServer.chromiumArgs });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !isWorkbenchNoise(message)) consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
  await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
  const workbench = new Workbench(page);
  await workbench.ready();
  return {
    page,
    workbench,
    workspace,
    vsix,
    extensionsDir: profile.extensionsDir,
    serverPid: server.pid,
    consoleErrors,
    close: async (screenshot) => {
      if (screenshot) {
        fs.mkdirSync(resultsDir, { recursive: true });
        await page.screenshot({ path: path.join(resultsDir, screenshot) }).catch(() => undefined);
      }
      await browser.close();
      await server.stop();
      fs.rmSync(workspace, { recursive: true, force: true });
      fs.rmSync(profile.root, { recursive: true, force: true });
    },
  };
}
