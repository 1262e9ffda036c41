// @ts-check
// `npm run lint`, and the first step of `npm test`: Biome's formatter and linter over the sources, tests and
// scripts, then dependency-cruiser's layer rules (.dependency-cruiser.cjs). Either failing names what broke.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Throws, after the tools have printed what is wrong, when the code is unformatted, breaks a lint rule or a layer. */
export function lint() {
  const run = (/** @type {string} */ script, /** @type {string[]} */ args) =>
    execFileSync(process.execPath, [path.join(projectRoot, 'node_modules', script), ...args], { cwd: projectRoot, stdio: 'inherit' });
  run('@biomejs/biome/bin/biome', ['ci', '--reporter=summary', '.']);
  run('dependency-cruiser/bin/dependency-cruise.mjs', ['--config', '.dependency-cruiser.cjs', '--output-type', 'err', 'src', 'webview']);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    lint();
  } catch {
    process.exit(1);
  }
}
