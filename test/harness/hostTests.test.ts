// Runs the mocha suites of test/host inside the extension host of a real VS Code (code-server in headless
// Chromium), then reports each suite's tests here so one runner prints one summary for every tier.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { loadCodeServer } from './codeServer';
import { makeWorkspace, projectRoot, TEST_USER_SETTINGS } from './fixtures';
import { HOST_GREP_ENV, HOST_RESULTS_ENV, type HostTestResult } from './hostResults';
import { scratchFolder } from './scratch';

// The suites include opening, editing and saving a file of 3 GB.
const HOST_TIMEOUT_MS = 10 * 60_000;

test('extension host suites in code-server', { timeout: HOST_TIMEOUT_MS + 120_000 }, async (t) => {
  const { chromiumArgs, chromiumPath, ensureCodeServer, makeProfile, startCodeServer } = await loadCodeServer();
  ensureCodeServer();
  const profile = makeProfile(undefined, TEST_USER_SETTINGS);
  const workspace = makeWorkspace();
  const resultsFile = path.join(scratchFolder('cot-studio-results-'), 'host-results.json');
  const testsEntry = path.join(projectRoot, 'out', 'test', 'host', 'index.js');
  assert.ok(fs.existsSync(testsEntry), `${testsEntry} is missing: build the tests with 'node esbuild.js --tests'`);
  const server = await startCodeServer(profile, {
    folder: workspace,
    env: { [HOST_RESULTS_ENV]: resultsFile, ...(process.env[HOST_GREP_ENV] ? { [HOST_GREP_ENV]: process.env[HOST_GREP_ENV] } : {}) },
  });
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs });
  try {
    const remote = (file: string) => `vscode-remote://127.0.0.1:${server.port}${file}`;
    const payload = [
      ['extensionDevelopmentPath', remote(projectRoot)],
      ['extensionTestsPath', remote(testsEntry)],
    ];
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const deadline = Date.now() + HOST_TIMEOUT_MS;
    while (!fs.existsSync(resultsFile)) {
      if (Date.now() > deadline) {
        throw new Error(
          `the extension host wrote no results within ${HOST_TIMEOUT_MS / 1000} s\npage errors: ${pageErrors.join('\n')}\ncode-server:\n${server.output()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as HostTestResult[];
    assert.ok(results.length > 0, 'the extension host ran no tests');
    for (const result of results) {
      await t.test(result.title, (test) => {
        for (const note of result.notes ?? []) test.diagnostic(note);
        if (!result.passed) throw new Error(result.error ?? 'failed');
      });
    }
  } finally {
    await browser.close();
    await server.stop();
    fs.rmSync(profile.root, { recursive: true, force: true });
    fs.rmSync(workspace, { recursive: true, force: true });
  }
});
