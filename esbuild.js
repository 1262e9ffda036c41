// Builds the four product bundles (extension host, webview, engine process, CLI) and, with --tests, the
// test bundles. `vscode` is provided by the extension host and onnxruntime-node ships as a native package.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

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
  // sharp (transformers.js's image decoding) loads its native library by path, which a bundle would break.
  external: ['vscode', 'onnxruntime-node', 'sharp'],
  // Prefer ES modules: jsonc-parser's UMD build requires its parts at run time, which a bundle cannot.
  mainFields: ['module', 'main'],
  logLevel: 'warning',
};

/** @type {import('esbuild').BuildOptions[]} */
const productBuilds = [
  { ...nodeDefaults, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist' },
  { ...nodeDefaults, entryPoints: { engine: 'src/engine/main.ts' }, outdir: 'dist' },
  { ...nodeDefaults, entryPoints: { statsWorker: 'src/dataset/stats/worker.ts' }, outdir: 'dist' },
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

/** The codicon font and stylesheet, so icons in the webview match the workbench's. */
function copyCodicons() {
  const source = path.join(__dirname, 'node_modules', '@vscode', 'codicons', 'dist');
  const target = path.join(__dirname, 'dist', 'codicons');
  fs.mkdirSync(target, { recursive: true });
  for (const file of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(path.join(source, file), path.join(target, file));
}

async function main() {
  copyKatexAssets();
  copyCodicons();
  const builds = tests ? [...productBuilds, ...testBuilds()] : productBuilds;
  if (watch) {
    const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
    // One build before watching, so that the CLI exists to write the bundled model.
    await Promise.all(contexts.map((context) => context.rebuild()));
    finishDist();
    await Promise.all(contexts.map((context) => context.watch()));
    console.log('[watch] watching for changes');
    return;
  }
  await Promise.all(builds.map((options) => esbuild.build(options)));
  finishDist();
}

/** What a dist needs beyond the bundles: an executable CLI, the bundled model and the sample datasets. */
function finishDist() {
  fs.chmodSync('dist/cli.js', 0o755);
  buildBundledModel();
  // The walkthrough's "Open Sample Dataset" copies these out of the installed extension.
  fs.rmSync(path.join(__dirname, 'dist', 'samples'), { recursive: true, force: true });
  fs.cpSync(path.join(__dirname, 'test', 'fixtures', 'datasets'), path.join(__dirname, 'dist', 'samples'), { recursive: true });
}

/**
 * The sample model that ships in the VSIX: a bigram model of the sample datasets (about 1 MB), so that
 * regeneration works offline before a user picks a real model. Rebuilt when the datasets or the builder change.
 */
function buildBundledModel() {
  const target = path.join(__dirname, 'dist', 'models', 'tiny-bigram');
  const corpusDir = path.join(__dirname, 'test', 'fixtures', 'datasets');
  const corpus = fs
    .readdirSync(corpusDir)
    .filter((name) => name.endsWith('.jsonl'))
    .sort()
    .map((name) => path.join(corpusDir, name));
  const stamp = path.join(target, 'config.json');
  const builder = ['src/testModel', 'src/onnx'].flatMap((dir) => fs.readdirSync(path.join(__dirname, dir)).map((name) => path.join(__dirname, dir, name)));
  const newest = Math.max(...[...corpus, ...builder].map((file) => fs.statSync(file).mtimeMs));
  if (fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs >= newest && !args.has('--rebuild-model')) return;
  fs.rmSync(target, { recursive: true, force: true });
  const options = [
    '--kind',
    'bigram',
    '--layers',
    '1',
    '--hidden',
    '128',
    '--heads',
    '4',
    '--kv-heads',
    '2',
    '--vocab',
    '768',
    '--max-positions',
    '1024',
    '--dtype',
    'fp16',
  ];
  execFileSync(process.execPath, ['dist/cli.js', 'make-test-model', target, ...options, ...corpus.flatMap((file) => ['--corpus', file])], {
    cwd: __dirname,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
