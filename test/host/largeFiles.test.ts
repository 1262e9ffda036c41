import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DatasetDocument } from '../../src/editor';
import type { DatasetEditorProvider } from '../../src/editor';
import type { CotStudioApi } from '../../src/extension';
import { hashFile, hashRange, writeLargeDataset } from '../harness/largeDataset';
import { leftoverTemporaries } from '../harness/smallDisk';
import { activate, note, standaloneProvider, until, VIEW_TYPE } from './session';

/** The size of the file of the first suite: 3 GB unless the environment asks for another (to run it small). */
const BIG_FILE_BYTES = Number(process.env.COT_STUDIO_BIG_FILE_BYTES ?? 3_000_000_000);
/** What opening, editing and saving a file of any size may add to the extension host's peak memory. */
const MEMORY_ALLOWANCE_BYTES = 500 * 1024 * 1024;

const peakMemory = (): number => process.resourceUsage().maxRSS * 1024;
const mb = (bytes: number): string => `${Math.round(bytes / (1024 * 1024))} MB`;

describe('a dataset of gigabytes in the editor', function () {
  this.timeout(600_000);
  let scratch: string;
  let cot: CotStudioApi;

  before(async () => {
    cot = await activate();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-big-'));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('opens, edits its last record and saves only that line, in bounded memory', async () => {
    // Measured before the file is written: what writing it takes counts against the allowance too.
    const before = peakMemory();
    const big = writeLargeDataset(path.join(scratch, 'big.jsonl'), BIG_FILE_BYTES);
    const uri = vscode.Uri.file(big.file).toString();
    const opening = performance.now();
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(big.file), VIEW_TYPE);
    // The editor may show before the whole file is indexed: the count is final once it is every record written.
    const opened = () => cot.openDatasets().find((dataset) => dataset.uri === uri);
    await until('the whole file to be indexed', () => opened()?.recordCount === big.records, 300_000);
    const indexedMs = performance.now() - opening;
    assert.equal(opened()?.lineCount, big.records);

    const last = big.records;
    assert.equal(await vscode.commands.executeCommand('cotStudio.goToSample', { uri, line: last }), last);
    assert.equal(cot.readLine(uri, last), big.lastLine);
    const fixed = ' 2020 shows 18 and 2021 shows 9. The difference is 18 - 9 = 9. ';
    assert.ok(await vscode.commands.executeCommand('cotStudio.editSegment', { uri, line: last, segment: 2, text: fixed }));
    const edited = cot.readLine(uri, last);
    assert.ok(edited.includes(`<REASONING>${fixed}</REASONING>`));
    assert.equal(opened()?.dirty, true);

    const saving = performance.now();
    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('the save to finish', () => opened()?.dirty === false, 300_000);
    // The workbench may ask for the save again while the first one writes; the tab shows saved once all are done.
    await until('the tab to show no unsaved changes', () => vscode.window.tabGroups.activeTabGroup.activeTab?.isDirty === false, 300_000);
    await until('no save to be writing', () => leftoverTemporaries(scratch).length === 0, 300_000);
    const savedMs = performance.now() - saving;
    const grown = peakMemory() - before;

    // Every byte before the last line is as it was; the last line is the edited record, newline kept.
    const size = fs.statSync(big.file).size;
    assert.equal(size, big.headBytes + Buffer.byteLength(edited) + 1);
    assert.equal(await hashRange(big.file, 0, big.headBytes), big.headHash, 'the lines before the edited one are byte-identical');
    const tail = Buffer.alloc(size - big.headBytes);
    const fd = fs.openSync(big.file, 'r');
    try {
      fs.readSync(fd, tail, 0, tail.length, big.headBytes);
    } finally {
      fs.closeSync(fd);
    }
    assert.equal(tail.toString('utf8'), `${edited}\n`);
    assert.ok(grown < MEMORY_ALLOWANCE_BYTES, `the extension host's peak memory grew by ${mb(grown)} for a file of ${mb(big.byteLength)}`);
    const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
    note(
      `${mb(big.byteLength)}, ${big.records} records: indexed ${seconds(indexedMs)} after opening, saved in ${seconds(savedMs)}; the extension host's peak memory grew by ${mb(grown)} (from ${mb(before)})`,
    );
  });
});

describe('a large file another program changes under unsaved edits', function () {
  this.timeout(180_000);
  let scratch: string;
  let provider: DatasetEditorProvider;

  before(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-changed-'));
    const extension = vscode.extensions.getExtension('cot-studio.cot-studio');
    assert.ok(extension);
    provider = standaloneProvider(extension.extensionUri, vscode.window.createOutputChannel('CoT Studio change test', { log: true }));
  });

  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('in place: refuses to save, naming the file, keeps the edits, and leaves the other program’s file on disk', async () => {
    // Over the size held whole: the file is read on demand, so the rewrite takes away the bytes the edits sit in.
    const large = writeLargeDataset(path.join(scratch, 'large.jsonl'), 70 * 1024 * 1024);
    let document: DatasetDocument | undefined;
    try {
      document = await provider.openCustomDocument(vscode.Uri.file(large.file), { backupId: undefined, untitledDocumentData: undefined });
      document.applyOperation({ kind: 'setReviewStatus', line: 1, status: 'rejected', note: 'mine' });
      const mine = document.dataset.lineText(0);

      // The other program truncates and writes the same file (same inode), with a record of its own on line 1.
      const theirs = Buffer.from(`{"id": "theirs", "conversations": []}\n${fs.readFileSync(large.file, 'utf8').split('\n').slice(1).join('\n')}`);
      fs.writeFileSync(large.file, theirs);
      const theirsHash = await hashFile(large.file);

      await assert.rejects(provider.saveCustomDocument(document), (error: Error) => {
        assert.match(error.message, /large\.jsonl was written by another program while it was open .*; open it again/);
        return true;
      });
      assert.equal(await hashFile(large.file), theirsHash, 'the file on disk is the other program’s');
      assert.ok(document.dataset.isChanged, 'the edits are still unsaved changes');
      assert.equal(document.dataset.lineText(0), mine);
      assert.deepEqual(leftoverTemporaries(scratch), []);
      // The save copied the other program's version aside before it tried to write.
      const aside = fs.readdirSync(scratch).filter((name) => name.startsWith('large.jsonl.cot-studio-disk-'));
      assert.equal(aside.length, 1);
      assert.equal(await hashFile(path.join(scratch, aside[0] ?? '')), theirsHash);
    } finally {
      document?.dispose();
    }
  });

  it('replaced while it is being saved: keeps both, the other program’s version is copied aside and the save writes the edits', async () => {
    const large = writeLargeDataset(path.join(scratch, 'replaced.jsonl'), 100 * 1024 * 1024);
    const original = fs.readFileSync(large.file);
    const theirs = Buffer.concat([Buffer.from('{"id": "theirs", "conversations": []}\n'), original]);
    let document: DatasetDocument | undefined;
    // The other program renames its version over the file as soon as the save's temporary file appears.
    let replaced = false;
    const watcher = fs.watch(scratch, (_event, name) => {
      if (replaced || !name?.startsWith('.replaced.jsonl.') || !name.endsWith('.tmp')) return;
      replaced = true;
      const staged = path.join(scratch, 'theirs.staged');
      fs.writeFileSync(staged, theirs);
      fs.renameSync(staged, large.file);
    });
    try {
      document = await provider.openCustomDocument(vscode.Uri.file(large.file), { backupId: undefined, untitledDocumentData: undefined });
      await until('the whole file to be indexed', () => document?.dataset.indexing === false, 60_000);
      document.applyOperation({ kind: 'setReviewStatus', line: 1, status: 'rejected', note: 'mine' });
      const mine = document.dataset.lineText(0);
      await provider.saveCustomDocument(document);
      assert.ok(replaced, 'the other program replaced the file during the save');
      watcher.close();

      const saved = fs.readFileSync(large.file);
      const firstNewline = original.indexOf(0x0a);
      assert.equal(saved.subarray(0, saved.indexOf(0x0a)).toString('utf8'), mine, 'the edited line is saved');
      assert.ok(saved.subarray(saved.indexOf(0x0a)).equals(original.subarray(firstNewline)), 'every other line is as it was');
      const aside = fs.readdirSync(scratch).filter((name) => name.startsWith('replaced.jsonl.cot-studio-disk-'));
      assert.equal(aside.length, 1, 'the other program’s version is kept beside it');
      assert.ok(fs.readFileSync(path.join(scratch, aside[0] ?? '')).equals(theirs));
      assert.equal(document.dataset.isChanged, false);
      assert.deepEqual(leftoverTemporaries(scratch), []);
    } finally {
      watcher.close();
      document?.dispose();
    }
  });
});
