import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DatasetEditorProvider, DatasetRegistry, type Regenerations } from '../../src/editor';
import type { CotStudioApi } from '../../src/extension';
import { datasetsDir } from '../harness/fixtures';

export const EXTENSION_ID = 'cot-studio.cot-studio';

const NOTES = Symbol.for('cot-studio.testNotes');

/**
 * The notes of the test running now, which `run` hands on with its result: on the global object, since each
 * test file is a bundle of its own with its own copy of this module.
 */
export function testNotes(): string[] {
  const holder = globalThis as { [NOTES]?: string[] };
  holder[NOTES] ??= [];
  return holder[NOTES];
}

/** Reports a figure the test measured beside its result in the test output. */
export function note(text: string): void {
  testNotes().push(text);
}
export const VIEW_TYPE = 'cotStudio.dataset';

/** The installed extension, activated: what every host suite drives. */
export async function activate(): Promise<CotStudioApi> {
  const extension = vscode.extensions.getExtension<CotStudioApi>(EXTENSION_ID);
  assert.ok(extension, `extension ${EXTENSION_ID} is not installed in this host`);
  return extension.activate();
}

/** Polls `probe` until it gives a value (not undefined or false). */
export async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface FixtureCopy {
  /** A scratch folder holding a writable copy of every fixture (images included). */
  scratch: string;
  file: string;
  uri: string;
}

/** Copies the fixtures into a scratch folder and opens one of them in the dataset editor. */
export async function openFixtureCopy(cot: CotStudioApi, prefix: string, name = 'llava_cot.jsonl'): Promise<FixtureCopy> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.cpSync(datasetsDir, scratch, { recursive: true });
  const file = path.join(scratch, name);
  fs.chmodSync(file, 0o644);
  await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), VIEW_TYPE);
  const uri = vscode.Uri.file(file).toString();
  await until('the dataset to open', () => cot.openDatasets().some((dataset) => dataset.uri === uri));
  return { scratch, file, uri };
}

/**
 * For a mocha suite whose tests each open a fresh copy of the fixtures: the editors are reverted and closed
 * after each test and the copies removed after the suite.
 */
export function fixtureCopies(): { open(prefix: string, name?: string): Promise<FixtureCopy & { cot: CotStudioApi }> } {
  const scratches: string[] = [];
  let cot: CotStudioApi | undefined;
  before(async () => {
    cot = await activate();
  });
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
  after(() => {
    for (const scratch of scratches) fs.rmSync(scratch, { recursive: true, force: true });
  });
  return {
    async open(prefix, name) {
      assert.ok(cot, 'the extension is activated before the tests run');
      const copy = await openFixtureCopy(cot, prefix, name);
      scratches.push(copy.scratch);
      return { ...copy, cot };
    },
  };
}

/**
 * A provider of its own for tests that open, save and back up documents outside the window's editors. A fake
 * for regeneration, which these tests never start.
 */
export function standaloneProvider(extensionUri: vscode.Uri, log: vscode.LogOutputChannel): DatasetEditorProvider {
  const noRegeneration: Regenerations = {
    regenerate: () => Promise.reject(new Error('this provider does not regenerate')),
    cancel: () => undefined,
  };
  return new DatasetEditorProvider(extensionUri, new DatasetRegistry(), noRegeneration, log);
}

/** Runs `body` with `cotStudio.engine.model` pointing at `dir`, then back on the bundled model. */
export async function withModel(dir: string, body: () => Promise<void>): Promise<void> {
  const config = vscode.workspace.getConfiguration('cotStudio');
  await config.update('engine.model', dir, vscode.ConfigurationTarget.Global);
  try {
    await body();
  } finally {
    await config.update('engine.model', undefined, vscode.ConfigurationTarget.Global);
  }
}
