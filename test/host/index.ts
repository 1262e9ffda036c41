// The extensionTestsPath entry: VS Code (desktop through @vscode/test-electron, or code-server in a
// browser) loads this module inside the real extension host and awaits run().
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { HOST_GREP_ENV, HOST_RESULTS_ENV, type HostTestResult } from '../harness/hostResults';
import { testNotes } from './session';

export function run(): Promise<void> {
  const grep = process.env[HOST_GREP_ENV];
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, ...(grep ? { grep } : {}) });
  for (const file of fs
    .readdirSync(__dirname)
    .filter((name) => name.endsWith('.test.js'))
    .sort()) {
    mocha.addFile(path.join(__dirname, file));
  }
  const results: HostTestResult[] = [];
  const resultsFile = process.env[HOST_RESULTS_ENV];
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      if (resultsFile) {
        // The launcher starts reading as soon as the file exists: it must appear whole.
        fs.writeFileSync(`${resultsFile}.partial`, JSON.stringify(results, null, 2));
        fs.renameSync(`${resultsFile}.partial`, resultsFile);
      }
      if (failures > 0) reject(new Error(`${failures} extension host test(s) failed`));
      else resolve();
    });
    const notes = () => testNotes().splice(0);
    runner.on('test', () => notes());
    runner.on('pass', (test) => results.push({ title: test.fullTitle(), passed: true, durationMs: test.duration ?? 0, notes: notes() }));
    runner.on('fail', (test, error: Error) =>
      results.push({ title: test.fullTitle(), passed: false, durationMs: test.duration ?? 0, error: error.stack ?? error.message, notes: notes() }),
    );
  });
}
