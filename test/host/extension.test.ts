import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { reopenAssociatedTextEditors } from '../../src/editor/reopenAssociated';
import type { CotStudioApi } from '../../src/extension';
import type { ModelStatusReport } from '../../src/modelStatus';
import { datasetsDir } from '../harness/fixtures';

const EXTENSION_ID = 'cot-studio.cot-studio';
const VIEW_TYPE = 'cotStudio.dataset';

async function activateExtension(): Promise<{ extension: vscode.Extension<CotStudioApi>; api: CotStudioApi }> {
  const extension = vscode.extensions.getExtension<CotStudioApi>(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is not installed in this host`);
  const api = await extension.activate();
  return { extension, api };
}

function activeTabInput(): unknown {
  return vscode.window.tabGroups.activeTabGroup.activeTab?.input;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Records are the non-blank lines; counted here straight from the bytes, independently of the product. */
function countRecords(file: string): number {
  return fs
    .readFileSync(file, 'utf8')
    .replace(/^\uFEFF/, '')
    .split('\n')
    .filter((line) => line.trim() !== '').length;
}

describe('CoT Studio in the extension host', () => {
  let scratch: string;

  before(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-host-'));
    fs.cpSync(datasetsDir, scratch, { recursive: true });
    for (const file of fs.readdirSync(scratch, { recursive: true, encoding: 'utf8' })) fs.chmodSync(path.join(scratch, file), 0o755);
  });

  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('activates and registers every command its manifest contributes', async () => {
    const { extension } = await activateExtension();
    assert.equal(extension.isActive, true);
    const contributed = (extension.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map((c) => c.command);
    assert.ok(contributed.includes('cotStudio.openDataset'));
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const command of contributed) assert.ok(registered.has(command), `${command} is contributed but not registered`);
  });

  it('opens a .jsonl file in the dataset editor with cotStudio.openDataset {uri}', async () => {
    const { api } = await activateExtension();
    const file = path.join(scratch, 'llava_cot.jsonl');
    await vscode.commands.executeCommand('cotStudio.openDataset', { uri: file });
    const input = await waitFor('the dataset editor tab', () => {
      const tab = activeTabInput();
      return tab instanceof vscode.TabInputCustom ? tab : undefined;
    });
    assert.equal(input.viewType, VIEW_TYPE);
    assert.equal(input.uri.fsPath, file);
    const opened = await waitFor('the dataset to be read', () => api.openDatasets().find((d) => d.uri === vscode.Uri.file(file).toString()));
    assert.equal(opened.recordCount, countRecords(file));
    assert.equal(opened.recordCount, 10);
  });

  it('opens a writable copy of the bundled samples with cotStudio.openSampleDataset, and reopens the same copy', async () => {
    const { api } = await activateExtension();
    const opened = await vscode.commands.executeCommand<string | undefined>('cotStudio.openSampleDataset');
    assert.ok(opened !== undefined, 'the command names the sample it opened');
    const file = vscode.Uri.parse(opened).fsPath;
    assert.equal(path.basename(file), 'llava_cot.jsonl');
    assert.ok(!file.includes(path.join('dist', 'samples')), `a copy, not the extension's own file: ${file}`);
    fs.accessSync(file, fs.constants.W_OK);
    assert.ok(fs.existsSync(path.join(path.dirname(file), 'images')), 'the images come with the samples');
    const input = await waitFor('the dataset editor tab', () => {
      const tab = activeTabInput();
      return tab instanceof vscode.TabInputCustom ? tab : undefined;
    });
    assert.equal(input.viewType, VIEW_TYPE);
    const dataset = await waitFor('the sample to be read', () => api.openDatasets().find((d) => d.uri === vscode.Uri.file(file).toString()));
    assert.equal(dataset.recordCount, countRecords(file));
    // Edits kept in the copy survive: the second run opens the same files, not a fresh copy over them.
    const readme = path.join(path.dirname(file), 'README.md');
    fs.writeFileSync(readme, 'edited');
    assert.equal(await vscode.commands.executeCommand<string | undefined>('cotStudio.openSampleDataset'), opened);
    assert.equal(fs.readFileSync(readme, 'utf8'), 'edited');
  });

  it('counts records, not blank lines, in a file with a BOM, CRLF and no final newline', async () => {
    const { api } = await activateExtension();
    const file = path.join(scratch, 'edge_cases.jsonl');
    await vscode.commands.executeCommand('cotStudio.openDataset', { uri: file });
    const opened = await waitFor('the edge-case dataset', () => api.openDatasets().find((d) => d.uri === vscode.Uri.file(file).toString()));
    assert.equal(opened.recordCount, countRecords(file));
    assert.ok(opened.lineCount > opened.recordCount, 'the blank line is a line but not a record');
  });

  it('is the default editor for *.cot.jsonl and an option for *.jsonl', async () => {
    await activateExtension();
    const cotFile = path.join(scratch, 'sample.cot.jsonl');
    fs.copyFileSync(path.join(scratch, 'mulberry.jsonl'), cotFile);
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(cotFile));
    const custom = await waitFor('*.cot.jsonl to open in the dataset editor', () => {
      const tab = activeTabInput();
      return tab instanceof vscode.TabInputCustom ? tab : undefined;
    });
    assert.equal(custom.viewType, VIEW_TYPE);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(path.join(scratch, 'mulberry.jsonl')));
    const text = await waitFor('*.jsonl to open as text', () => {
      const tab = activeTabInput();
      return tab instanceof vscode.TabInputText ? tab : undefined;
    });
    assert.ok(text.uri.fsPath.endsWith('mulberry.jsonl'));
  });

  it('moves a *.cot.jsonl shown as text (a start-up race) into the dataset editor', async () => {
    await activateExtension();
    const cotFile = path.join(scratch, 'raced.cot.jsonl');
    fs.copyFileSync(path.join(scratch, 'llava_cot.jsonl'), cotFile);
    await vscode.window.showTextDocument(vscode.Uri.file(cotFile), { preview: false });
    assert.ok(activeTabInput() instanceof vscode.TabInputText);
    assert.equal(await reopenAssociatedTextEditors(), 1);
    const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs.map((tab) => tab.input));
    assert.equal(tabs.filter((input) => input instanceof vscode.TabInputText).length, 0, 'the text tab is closed');
    const custom = tabs.filter((input): input is vscode.TabInputCustom => input instanceof vscode.TabInputCustom);
    assert.deepEqual(
      custom.map((input) => [input.viewType, input.uri.fsPath]),
      [[VIEW_TYPE, cotFile]],
    );
  });

  it('refuses malformed arguments to cotStudio.openDataset without opening anything', async () => {
    const { api } = await activateExtension();
    const before = api.openDatasets().length;
    await vscode.commands.executeCommand('cotStudio.openDataset', { uri: 42 });
    assert.equal(api.openDatasets().length, before);
    assert.equal(activeTabInput() instanceof vscode.TabInputCustom, false);
  });

  it('loads onnxruntime-node from the extension in the engine process and runs the CPU provider', async function () {
    this.timeout(120_000);
    const { extension } = await activateExtension();
    const report = await vscode.commands.executeCommand<ModelStatusReport | undefined>('cotStudio.showModelStatus');
    assert.ok(report, 'Show Model Status returned no status');
    const { status } = report;
    assert.equal(status.onnxruntimeVersion, '1.30.0');
    assert.ok(
      fs.realpathSync(status.onnxruntimePath).startsWith(fs.realpathSync(extension.extensionPath)),
      `onnxruntime-node came from ${status.onnxruntimePath}, not from ${extension.extensionPath}`,
    );
    const cpu = status.providers.find((provider) => provider.name === 'cpu');
    assert.ok(cpu?.ok, `the CPU provider failed: ${cpu?.detail}`);
    assert.deepEqual(
      status.providers.map((provider) => provider.name),
      ['cuda', 'webgpu', 'cpu'],
    );
    assert.ok(report.model, `the bundled model did not load: ${report.modelError}`);
    assert.equal(report.model.dir, path.join(extension.extensionPath, 'dist', 'models', 'tiny-bigram'));
  });
});
