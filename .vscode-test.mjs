// Runs the extension host suites (test/host) in VS Code desktop through @vscode/test-electron, for
// developers whose machine can download VS Code: `npm run test:electron`. CI and offline machines run the
// same suites in code-server (`npm test`).
import { defineConfig } from '@vscode/test-cli';

export default defineConfig({
  label: 'host',
  files: 'out/test/host/*.test.js',
  version: '1.100.0',
  extensionDevelopmentPath: '.',
  launchArgs: ['--disable-extensions', '--disable-workspace-trust'],
  mocha: { ui: 'bdd', timeout: 60_000, color: true },
});
