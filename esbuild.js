// Builds the four product bundles (extension host, webview, engine process, CLI) and, with --tests, the
// test bundles. `vscode` is provided by the extension host and onnxruntime-node ships as a native package.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');
const tests = args.has('--tests');

/** @type {import('esbuild').BuildOptions} */
const nodeDefaults = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify: production,
  external: ['vscode', 'onnxruntime-node'],
  // Prefer ES modules: jsonc-parser's UMD build requires its parts at run time, which a bundle cannot.
  mainFields: ['module', 'main'],
  logLevel: 'warning',
};

/** @type {import('esbuild').BuildOptions[]} */
const productBuilds = [
  { ...nodeDefaults, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist' },
  { ...nodeDefaults, entryPoints: { engine: 'src/engine/index.ts' }, outdir: 'dist' },
  { ...nodeDefaults, entryPoints: { cli: 'src/cli/index.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: true,
    minify: production,
    entryPoints: { webview: 'webview/main.ts', overview: 'webview/overview.ts' },
    outdir: 'dist',
    logLevel: 'warning',
  },
];

/** @param {string} dir @returns {string[]} */
function testFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts'))
    .map((file) => path.join(dir, file));
}

/** Tests keep their dependencies external so mocha, playwright-core and onnxruntime-node load from node_modules. */
function testBuilds() {
  const entryPoints = [
    ...testFiles('test/unit'),
    ...testFiles('test/host'),
    ...testFiles('test/e2e'),
    ...testFiles('test/harness'),
    'test/host/index.ts',
    'test/bench/ui.ts',
  ];
  return [
    {
      ...nodeDefaults,
      entryPoints,
      outbase: 'test',
      outdir: 'out/test',
      packages: 'external',
      minify: false,
    },
  ];
}

/** KaTeX's stylesheet and its WOFF2 fonts, served to the webview from dist/katex (every webview browser reads WOFF2). */
function copyKatexAssets() {
  const source = path.join(__dirname, 'node_modules', 'katex', 'dist');
  const target = path.join(__dirname, 'dist', 'katex');
  fs.mkdirSync(path.join(target, 'fonts'), { recursive: true });
  fs.copyFileSync(path.join(source, 'katex.min.css'), path.join(target, 'katex.min.css'));
  for (const font of fs.readdirSync(path.join(source, 'fonts')).filter((name) => name.endsWith('.woff2'))) {
    fs.copyFileSync(path.join(source, 'fonts', font), path.join(target, 'fonts', font));
  }
}

async function main() {
  copyKatexAssets();
  const builds = tests ? [...productBuilds, ...testBuilds()] : productBuilds;
  if (watch) {
    const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
    await Promise.all(contexts.map((context) => context.watch()));
    console.log('[watch] watching for changes');
    return;
  }
  await Promise.all(builds.map((options) => esbuild.build(options)));
  fs.chmodSync('dist/cli.js', 0o755);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
