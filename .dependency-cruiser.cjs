// The layers `npm run lint` keeps: a core free of `vscode` that the CLI reuses, the extension host above it,
// and a webview that knows only the protocol. A broken rule fails `npm test` with the rule's name.
const HOST = '^src/(commands|editor|generation|modelStatus|overview|regeneration|settings|statusBar|validation)/|^src/extension\\.ts$';
const CORE = '^src/(agreement|annotators|backends|bench|cli|dataset|engine|engineClient|errors|export|files|merge|onnx|parquet|preferencePairs|protocol|random|rewards|search|serve|stepLabels|testModel)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'every-folder-in-a-layer',
      comment: 'Each folder of src/ is named in HOST or CORE above, so that the rules below apply to it.',
      severity: 'error',
      from: { path: '^src/', pathNot: `${HOST}|${CORE}` },
      to: {},
    },
    {
      name: 'core-without-vscode',
      comment: 'The core runs in the CLI and the engine process, where there is no vscode module: only the extension host imports it.',
      severity: 'error',
      from: { path: CORE },
      to: { path: '^vscode$' },
    },
    {
      name: 'core-below-host',
      comment: 'The core does not reach up into the extension host (commands, editor, generation service, views).',
      severity: 'error',
      from: { path: CORE },
      to: { path: HOST },
    },
    {
      name: 'cli-is-an-entry',
      comment: 'The command line is an entry point like the extension: the parts it drives do not import it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'dataset-below-protocol',
      comment: 'The dataset model defines its own schemas (operations, record summaries); the protocol carries them, not the reverse.',
      severity: 'error',
      from: { path: '^src/dataset/' },
      to: { path: '^src/protocol/' },
    },
    {
      name: 'webview-speaks-protocol',
      comment: 'The webview imports from src/ only the protocol and the pure schemas it names, never host or engine code.',
      severity: 'error',
      from: { path: '^webview/' },
      to: { path: '^src/', pathNot: '^src/protocol/|^src/dataset/filterSchema\\.ts$' },
    },
    {
      name: 'host-without-webview',
      comment: 'The host talks to the webview through messages, not imports.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^webview/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(out|dist|node_modules)/' },
  },
};
