// Unsaved work in the installed VSIX, driven in Chromium like a user would: a file another program changes
// under unsaved edits (Keep My Version, and an auto save that comes before the answer), Save As through the
// workbench's file dialog, and hot exit (the window reloads with unsaved edits and gets them back).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame, Locator, Page } from 'playwright-core';
import { TEST_ANNOTATOR } from '../harness/fixtures';
import { type InstalledProduct, startInstalledProduct } from '../harness/installedProduct';
import { type Workbench, waitForCount } from '../harness/workbench';

interface Review {
  status: string;
  note?: string;
}

function reviewOf(line: string): Review | undefined {
  return (JSON.parse(line) as { cot_studio?: { review?: Review } }).cot_studio?.review;
}

/** A line as saved with annotations, less them: `{...,"cot_studio":{...}}` back to `{...}`. */
function withoutAnnotations(line: string): string {
  return `${line.slice(0, line.indexOf(',"cot_studio"'))}}`;
}

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => fs.statSync(path.join(dir, file)).isFile());
}

/** The side files that keep a disk version of `name` (`<name>.cot-studio-disk-<stamp>.jsonl`). */
function diskCopies(workspace: string, name: string): string[] {
  return fs.readdirSync(workspace).filter((entry) => entry.startsWith(`${name}.cot-studio-disk-`) && entry.endsWith('.jsonl'));
}

/** VS Code for the Web (code-server) saves dirty files a second after each change unless told otherwise. */
function setAutoSave(workspace: string, settings: Record<string, unknown>): void {
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
}

async function poll<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until an input holds `value`. */
async function waitForValue(input: Locator, value: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await input.inputValue();
    if (current === value) return;
    if (Date.now() > deadline) throw new Error(`the input holds ${JSON.stringify(current)}, not ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface StoredEditor {
  path?: string;
  dirty?: boolean;
  backupId?: string;
}

/**
 * The editors of the window as the browser workbench last stored them (in IndexedDB): what a reload
 * reopens, and, for a dirty custom editor, the backup it reopens it from.
 */
async function storedEditors(page: Page): Promise<StoredEditor[]> {
  // Runs in the page (as source text: this project's Node types have no DOM).
  const mementos = await page.evaluate<string[]>(`(async () => {
    const values = [];
    for (const info of await indexedDB.databases()) {
      if (!info.name || !info.name.startsWith('vscode-web-state-db-') || info.name.endsWith('-global')) continue;
      const db = await new Promise((resolve, reject) => {
        const request = indexedDB.open(info.name);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const value = await new Promise((resolve, reject) => {
        const request = db.transaction('ItemTable').objectStore('ItemTable').get('memento/workbench.parts.editor');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      db.close();
      if (typeof value === 'string') values.push(value);
    }
    return values;
  })()`);
  const editors: StoredEditor[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key !== 'editors' || !Array.isArray(value)) {
          walk(value);
          continue;
        }
        for (const editor of value as { value?: string }[]) {
          const stored = JSON.parse(editor.value ?? '{}') as { editorResource?: { path?: string }; dirty?: boolean; backupId?: string };
          editors.push({ path: stored.editorResource?.path, dirty: stored.dirty, backupId: stored.backupId });
        }
      }
    }
  };
  for (const memento of mementos) walk(JSON.parse(memento));
  return editors;
}

/** What code-server logs as a page reloads (its own shutdown in a browser), not CoT Studio's errors. */
function isReloadNoise(error: string): boolean {
  return /\[lifecycle\] Long running operations during shutdown are unsupported in the web|IndexedDB database 'vscode-web-db' is closed/.test(error);
}

const STATUS_LABELS = { accepted: 'Accepted', rejected: 'Rejected', needs_fix: 'Needs fix' } as const;

describe('unsaved work in the installed VSIX', { timeout: 10 * 60_000 }, () => {
  let product: InstalledProduct;
  let page: Page;
  let workbench: Workbench;
  let workspace: string;

  before(async () => {
    // Auto save off (the workspace's setting), so that a file is saved when the test saves it, and a reload finds unsaved edits.
    product = await startInstalledProduct((folder) => setAutoSave(folder, { 'files.autoSave': 'off' }));
    ({ page, workbench, workspace } = product);
  });

  after(() => product?.close(process.exitCode ? 'e2e-disk-and-backup-failure.png' : undefined));

  /** Opens a dataset from the palette, in a window with no other editor (Open Dataset takes an active .jsonl text editor). */
  async function openDataset(name: string): Promise<Frame> {
    await workbench.runCommand('View: Close All Editors');
    await waitForCount(page.locator('.tab'), 0);
    await workbench.runCommand('CoT Studio: Open Dataset');
    await workbench.pick('Open Dataset', name);
    const view = await workbench.datasetView(name);
    await view.locator('.record-row[data-line="1"]').waitFor({ timeout: 30_000 });
    return view;
  }

  /**
   * Reviews the first record from the palette, as a user does, and waits for the list to show it and the tab
   * to show it unsaved (the view re-renders and takes the focus back; a palette opened earlier would close).
   */
  async function reviewFirstRecord(view: Frame, name: string, status: keyof typeof STATUS_LABELS, note: string): Promise<void> {
    await workbench.runCommand('CoT Studio: Set Review Status');
    await workbench.pick(`Review ${name}:1`, STATUS_LABELS[status]);
    await page.locator('.quick-input-widget .quick-input-title', { hasText: `Note for ${name}:1` }).waitFor();
    const input = page.locator('.quick-input-widget input');
    await input.fill(note);
    await input.press('Enter');
    await view.locator(`.record-row[data-line="1"][data-review="${status}"]`).waitFor({ timeout: 10_000 });
    await page.locator('.tab.active.dirty').waitFor({ timeout: 10_000 });
  }

  async function saveWithKeyboard(): Promise<void> {
    await page.keyboard.press('Control+s');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10_000 });
  }

  /** Another program saves `name` with the second line's id changed; returns the bytes it wrote. */
  function changeOnDisk(name: string): Buffer {
    const file = path.join(workspace, name);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const record = JSON.parse(lines[1]) as { id?: string; question?: string };
    record.id = 'changed-by-another-program';
    lines[1] = JSON.stringify(record);
    const bytes = Buffer.from(lines.join('\n'), 'utf8');
    fs.writeFileSync(file, bytes);
    return bytes;
  }

  it('keeps my version over a file another program changed, and keeps theirs in a side file byte for byte', async () => {
    const name = 'llava_cot.jsonl';
    const file = path.join(workspace, name);
    const original = fs.readFileSync(file, 'utf8').split('\n');
    const view = await openDataset(name);
    await reviewFirstRecord(view, name, 'accepted', 'kept over the disk version');

    const theirs = changeOnDisk(name);
    const toast = page.locator('.notification-toast', { hasText: 'changed on disk while it has unsaved edits' });
    await toast.waitFor({ timeout: 30_000 });
    await toast.getByRole('button', { name: 'Keep My Version' }).click();
    await toast.waitFor({ state: 'detached', timeout: 10_000 });
    assert.ok(fs.readFileSync(file).equals(theirs), 'choosing writes nothing: the save does');
    assert.deepEqual(diskCopies(workspace, name), [], 'nothing is copied before the save');
    await page.locator('.tab.active.dirty').waitFor({ timeout: 5_000 });

    await saveWithKeyboard();
    await page.locator('.notification-toast', { hasText: 'had changed on disk; that version is kept as' }).waitFor({ timeout: 10_000 });
    const saved = fs.readFileSync(file, 'utf8').split('\n');
    assert.deepEqual(reviewOf(saved[0]), { status: 'accepted', note: 'kept over the disk version', by: TEST_ANNOTATOR });
    assert.equal(withoutAnnotations(saved[0]), original[0]);
    assert.deepEqual(saved.slice(1), original.slice(1), "my version: every other line as I had it, not the other program's");
    const copies = diskCopies(workspace, name);
    assert.equal(copies.length, 1, `side files: ${copies.join(', ')}`);
    assert.ok(fs.readFileSync(path.join(workspace, copies[0])).equals(theirs), 'the side file holds exactly what the other program wrote');
  });

  it('saves unsaved edits to a new file with File: Save As, leaving the original alone', async () => {
    const name = 'mulberry.jsonl';
    const file = path.join(workspace, name);
    const originalBytes = fs.readFileSync(file);
    const original = originalBytes.toString('utf8').split('\n');
    await reviewFirstRecord(await openDataset(name), name, 'rejected', 'saved as a copy');

    // VS Code reopens a saved-as file in its default editor: the dataset editor is the default only for *.cot.jsonl.
    const targetName = 'mulberry-reviewed.cot.jsonl';
    const target = path.join(workspace, targetName);
    await workbench.runCommand('File: Save As...');
    // code-server has no native dialog: its simple file dialog is a quick input holding a path.
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Save As' }).waitFor({ timeout: 10_000 });
    const input = page.locator('.quick-input-widget input');
    // The dialog fills in the file's own path once it has read the folder; typing earlier is overwritten.
    await waitForValue(input, file);
    await input.fill(target);
    await waitForValue(input, target);
    await input.press('Enter');

    await poll(`${target} to be written`, () => fs.existsSync(target));
    const copy = await workbench.datasetView(targetName);
    await copy.locator('.record-row[data-line="1"][data-review="rejected"]').waitFor({ timeout: 10_000 });
    await page.locator('.tab.active', { hasText: targetName }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.tab.dirty').count(), 0, 'the copy has nothing unsaved, and the edited editor was replaced by it');
    const copied = fs.readFileSync(target, 'utf8').split('\n');
    assert.deepEqual(reviewOf(copied[0]), { status: 'rejected', note: 'saved as a copy', by: TEST_ANNOTATOR });
    assert.equal(withoutAnnotations(copied[0]), original[0], 'the edited line is the original record plus its annotations');
    assert.deepEqual(copied.slice(1), original.slice(1), 'every other line byte for byte');
    assert.ok(fs.readFileSync(file).equals(originalBytes), 'Save As leaves the original file alone');
  });

  it('gets unsaved edits back from the hot-exit backup when the window reloads', async () => {
    const name = 'reason_rft.jsonl';
    const file = path.join(workspace, name);
    const originalBytes = fs.readFileSync(file);
    const original = originalBytes.toString('utf8').split('\n');
    const userData = path.join(path.dirname(product.extensionsDir), 'user-data', 'User');
    await reviewFirstRecord(await openDataset(name), name, 'needs_fix', 'survives a reload');

    // VS Code backs up a dirty editor a second after its last change (reloading earlier would leave nothing to
    // restore): its entry under Backups names the dataset, and points at the file the extension wrote.
    const backupsDir = path.join(userData, 'Backups');
    await poll(`a backup of ${name} under ${backupsDir}`, () =>
      filesUnder(backupsDir).some((entry) => fs.readFileSync(path.join(backupsDir, entry), 'utf8').includes(`${workspace}/${name}`)),
    );
    const storageDir = path.join(userData, 'workspaceStorage');
    const ours = filesUnder(storageDir)
      .filter((entry) => entry.split(path.sep).includes('cot-studio.cot-studio'))
      .map((entry) => ({
        file: path.basename(entry),
        ...(JSON.parse(fs.readFileSync(path.join(storageDir, entry), 'utf8')) as { changes: { line: number; before: string; after: string }[] }),
      }))
      .filter((backup) => backup.changes.some((change) => change.after.includes('survives a reload')));
    assert.equal(ours.length, 1, 'the extension wrote one backup of the edit');
    assert.deepEqual(
      ours[0].changes.map((change) => [change.line, change.before === original[0], reviewOf(change.after)]),
      [[0, true, { status: 'needs_fix', note: 'survives a reload', by: TEST_ANNOTATOR }]],
      'the backup holds only the changed line, with the text it had on disk',
    );
    assert.ok(fs.readFileSync(file).equals(originalBytes), 'nothing was saved before the reload');

    // The reload reopens the editors the workbench stored; only a stored dirty editor names its backup. The
    // workbench stores them a moment after the backup: a reload before that reopens the file as it is on disk.
    const stored = await poll(
      'the workbench to store the dirty editor with its backup',
      async () => (await storedEditors(page)).find((editor) => editor.path === file && editor.dirty === true && editor.backupId !== undefined),
      90_000,
    );
    assert.ok(stored.backupId?.endsWith(ours[0].file), `the stored editor names the extension's backup, not ${stored.backupId}`);
    await page.reload();
    await workbench.ready();
    const restored = await workbench.datasetView(name);
    await restored.locator('.record-row[data-line="1"][data-review="needs_fix"]').waitFor({ timeout: 30_000 });
    await restored.locator('.record-row[data-line="2"][data-review="unreviewed"]').waitFor({ timeout: 10_000 });
    await page.locator('.tab.active.dirty', { hasText: name }).waitFor({ timeout: 10_000 });
    assert.ok(fs.readFileSync(file).equals(originalBytes), 'the restored edit is still unsaved');

    await saveWithKeyboard();
    const saved = fs.readFileSync(file, 'utf8').split('\n');
    assert.deepEqual(reviewOf(saved[0]), { status: 'needs_fix', note: 'survives a reload', by: TEST_ANNOTATOR });
    assert.equal(withoutAnnotations(saved[0]), original[0]);
    assert.deepEqual(saved.slice(1), original.slice(1), 'every other line byte for byte');
  });

  // Last: it turns auto save on for the rest of the window's life.
  it("keeps the other program's version aside when an auto save comes before the question about it is answered", async () => {
    setAutoSave(workspace, { 'files.autoSave': 'afterDelay', 'files.autoSaveDelay': 3000 });
    // Wait until auto save is on: an edit to another dataset gets saved without anyone saving it.
    const probe = 'r1vl.jsonl';
    await reviewFirstRecord(await openDataset(probe), probe, 'accepted', 'auto saved');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 30_000 });
    assert.deepEqual(reviewOf(fs.readFileSync(path.join(workspace, probe), 'utf8').split('\n')[0]), {
      status: 'accepted',
      note: 'auto saved',
      by: TEST_ANNOTATOR,
    });

    const name = 'openvlthinker.jsonl';
    const file = path.join(workspace, name);
    const original = fs.readFileSync(file, 'utf8').split('\n');
    const view = await openDataset(name);
    await reviewFirstRecord(view, name, 'needs_fix', 'mine');
    const theirs = changeOnDisk(name);
    const toast = page.locator('.notification-toast', { hasText: 'changed on disk while it has unsaved edits' });
    await toast.waitFor({ timeout: 30_000 });
    // Nobody answers; auto save writes my version a few seconds after my edit.
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 30_000 });
    const saved = fs.readFileSync(file, 'utf8').split('\n');
    assert.deepEqual(reviewOf(saved[0]), { status: 'needs_fix', note: 'mine', by: TEST_ANNOTATOR });
    assert.deepEqual(saved.slice(1), original.slice(1));
    const copies = diskCopies(workspace, name);
    assert.equal(copies.length, 1, `the other program's version must be kept aside; side files: ${copies.join(', ') || 'none'}`);
    assert.ok(fs.readFileSync(path.join(workspace, copies[0])).equals(theirs), 'the side file holds exactly what the other program wrote');

    // Answering afterwards changes nothing: the next save must not copy my own saved version aside as well.
    await toast.getByRole('button', { name: 'Keep My Version' }).click();
    await view.locator('.record-row[data-line="2"]').click();
    await workbench.runCommand('CoT Studio: Set Review Status');
    await workbench.pick(`Review ${name}:2`, 'Accepted');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: `Note for ${name}:2` }).waitFor();
    await page.locator('.quick-input-widget input').press('Enter');
    await poll('the second edit to be auto saved', () => reviewOf(fs.readFileSync(file, 'utf8').split('\n')[1])?.status === 'accepted');
    assert.deepEqual(diskCopies(workspace, name), copies, 'still one side file');
  });

  it('logged no errors in the browser console', () => {
    assert.deepEqual(
      product.consoleErrors.filter((error) => !isReloadNoise(error)),
      [],
    );
  });
});
