import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { loadCodeServer } from './codeServer';
import { makeWorkspace, projectRoot, TEST_USER_SETTINGS } from './fixtures';
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

export interface ProductOptions {
  /** The display language, as VS Code names it (`zh-cn`); English when left out. */
  locale?: string;
}

/**
 * VS Code takes a display language only when a language pack for it is installed, and none can be downloaded
 * offline: the profile gets a stand-in pack for `locale` that translates nothing of VS Code's own (its UI stays
 * English), which is enough for VS Code to run in that language and hand extensions their translations.
 */
function addLanguagePack(userDataDir: string, locale: string): void {
  const translations = path.join(userDataDir, 'language-pack', 'main.i18n.json');
  fs.mkdirSync(path.dirname(translations), { recursive: true });
  fs.writeFileSync(translations, JSON.stringify({ version: '1.0.0', contents: {} }));
  const pack = {
    hash: `cot-studio-test-${locale}`,
    extensions: [{ extensionIdentifier: { id: `cot-studio-test.language-pack-${locale}` }, version: '1.0.0' }],
    translations: { vscode: translations },
    label: locale,
  };
  fs.writeFileSync(path.join(userDataDir, 'languagepacks.json'), JSON.stringify({ [locale]: pack }));
}

/**
 * Packages the VSIX if there is none, installs it, and opens a copy of the sample datasets. `prepare`
 * adds files before the window starts, so that Quick Open's index finds them.
 */
export async function startInstalledProduct(
  prepare: (workspace: string) => void = () => undefined,
  { locale }: ProductOptions = {},
): Promise<InstalledProduct> {
  const codeServer = await loadCodeServer();
  const { packageVsix, vsixPath } = (await import(path.join(projectRoot, 'scripts', 'package.mjs'))) as PackageScript;
  codeServer.ensureCodeServer();
  const vsix = fs.existsSync(vsixPath()) ? vsixPath() : packageVsix();
  const profile = codeServer.makeProfile(undefined, TEST_USER_SETTINGS);
  if (locale) addLanguagePack(profile.userDataDir, locale);
  codeServer.installVsix(profile, vsix);
  const workspace = makeWorkspace();
  prepare(workspace);
  const server = await codeServer.startCodeServer(profile, { folder: workspace, ...(locale ? { locale } : {}) });
  const browser = await chromium.launch({ executablePath: codeServer.chromiumPath(), args: codeServer.chromiumArgs });
  // A browser set to the same language, as a user of that language has.
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, ...(locale ? { locale } : {}) });
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
