// @ts-check
// `npm test [-- unit|host|e2e ...]`: lints (formatting, lint rules, layers), builds, packages the VSIX when the
// E2E tier runs, then runs every chosen tier in one node test runner so the run ends with a single summary.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureCodeServer, projectRoot } from './code-server.mjs';
import { lint } from './lint.mjs';
import { packageVsix } from './package.mjs';

const TIERS = /** @type {const} */ (['unit', 'host', 'e2e']);
const requested = process.argv.slice(2);
const unknown = requested.filter((tier) => !TIERS.includes(/** @type {any} */ (tier)));
if (unknown.length > 0) {
  console.error(`unknown test tier(s): ${unknown.join(', ')}; choose from ${TIERS.join(', ')}`);
  process.exit(2);
}
const tiers = requested.length > 0 ? requested : [...TIERS];

/** @param {string} dir */
function testFiles(dir) {
  const absolute = path.join(projectRoot, dir);
  if (!fs.existsSync(absolute)) return [];
  return fs
    .readdirSync(absolute)
    .filter((file) => file.endsWith('.test.js'))
    .sort()
    .map((file) => path.join(dir, file));
}

const tsc = path.join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
try {
  lint();
  for (const project of ['.', 'webview']) execFileSync(process.execPath, [tsc, '--noEmit', '-p', project], { cwd: projectRoot, stdio: 'inherit' });
  execFileSync(process.execPath, ['esbuild.js', '--production', '--tests'], { cwd: projectRoot, stdio: 'inherit' });
  if (tiers.includes('host') || tiers.includes('e2e')) ensureCodeServer();
  if (tiers.includes('e2e')) packageVsix({ skipBuild: true });
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

const files = [
  ...(tiers.includes('unit') ? testFiles('out/test/unit') : []),
  ...(tiers.includes('host') ? testFiles('out/test/harness') : []),
  ...(tiers.includes('e2e') ? testFiles('out/test/e2e') : []),
];
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', ...files], {
  cwd: projectRoot,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
