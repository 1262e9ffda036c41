import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../harness/fixtures';
import { scratchFolder } from '../harness/scratch';

/** Runs the project's layer rules over a tree of made-up files laid out as the project's own. */
function cruise(files: Record<string, string>): { status: number | null; output: string } {
  const root = scratchFolder('cot-studio-layers-');
  fs.writeFileSync(path.join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', target: 'es2022', strict: true } }));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  const cli = path.join(projectRoot, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
  const run = spawnSync(process.execPath, [cli, '--config', path.join(projectRoot, '.dependency-cruiser.cjs'), '--output-type', 'err', 'src', 'webview'], {
    cwd: root,
    encoding: 'utf8',
  });
  fs.rmSync(root, { recursive: true, force: true });
  return { status: run.status, output: run.stdout + run.stderr };
}

describe('the layer rules', () => {
  it('fail on each kind of wrong import, naming the rule and the import', () => {
    const { status, output } = cruise({
      'src/dataset/record.ts': "import * as vscode from 'vscode';\nexport const uri = vscode.Uri;\n",
      'src/search/beam.ts': "import { open } from '../editor/panel';\nexport const run = open;\n",
      'src/editor/panel.ts': "import { view } from '../../webview/main';\nexport const open = view;\n",
      'webview/main.ts': "import { engine } from '../src/engine/session';\nexport const view = engine;\n",
      'src/engine/session.ts': 'export const engine = 1;\n',
      'src/dataset/summary.ts': "import { message } from '../protocol/messages';\nexport const summary = message;\n",
      'src/protocol/messages.ts': 'export const message = 1;\n',
      'src/bench/measure.ts': "import { options } from '../cli/datasetFile';\nexport const measure = options;\n",
      'src/cli/datasetFile.ts': 'export const options = 1;\n',
      'src/newConcern/thing.ts': "import { message } from '../protocol/messages';\nexport const thing = message;\n",
    });
    assert.notEqual(status, 0, output);
    for (const [rule, from] of [
      ['core-without-vscode', 'src/dataset/record.ts → vscode'],
      ['core-below-host', 'src/search/beam.ts → src/editor/panel.ts'],
      ['host-without-webview', 'src/editor/panel.ts → webview/main.ts'],
      ['webview-speaks-protocol', 'webview/main.ts → src/engine/session.ts'],
      ['dataset-below-protocol', 'src/dataset/summary.ts → src/protocol/messages.ts'],
      ['cli-is-an-entry', 'src/bench/measure.ts → src/cli/datasetFile.ts'],
      ['every-folder-in-a-layer', 'src/newConcern/thing.ts → src/protocol/messages.ts'],
    ]) {
      assert.match(output, new RegExp(`error ${rule}: ${from}`), `${rule} in:\n${output}`);
    }
  });

  it('pass the imports the layers allow', () => {
    const { status, output } = cruise({
      'src/protocol/messages.ts': "import { schema } from '../dataset/filterSchema';\nexport const message = schema;\n",
      'src/dataset/filterSchema.ts': 'export const schema = 1;\n',
      'src/editor/panel.ts': "import * as vscode from 'vscode';\nimport { message } from '../protocol/messages';\nexport const open = [vscode, message];\n",
      'webview/main.ts':
        "import { message } from '../src/protocol/messages';\nimport { schema } from '../src/dataset/filterSchema';\nexport const view = [message, schema];\n",
    });
    assert.equal(status, 0, output);
  });
});
