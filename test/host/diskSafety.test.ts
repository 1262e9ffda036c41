import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readRecordState } from '../../src/dataset/operations';
import type { DatasetEditorProvider } from '../../src/editor';
import { HOST } from '../../src/files/processes';
import { makeTestModel } from '../../src/testModel';
import { cliPath } from '../harness/cli';
import { datasetsDir } from '../harness/fixtures';
import { leftoverTemporaries, mountSmallDisk, PAGE, type SmallDisk, smallDiskUnavailable } from '../harness/smallDisk';
import { fixtureCopies, standaloneProvider, until } from './session';
import { collectChunks } from '../../src/files/byteSource';

const alternatives = (lineText: string): number => readRecordState(lineText).annotations.segments['2']?.alternatives.length ?? 0;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, ...args], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe('a cot-studio run writing a dataset open in the editor', function () {
  this.timeout(180_000);
  const copies = fixtureCopies();
  let model: string;

  before(() => {
    model = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-host-model-'));
    makeTestModel(model, {
      kind: 'bigram',
      corpus: ['llava_cot.jsonl', 'mulberry.jsonl'].map((name) => path.join(datasetsDir, name)),
      hidden: 256,
      vocab: 700,
    });
  });

  after(() => fs.rmSync(model, { recursive: true, force: true }));

  const regenerate = (file: string, line: number): Promise<{ code: number; stdout: string; stderr: string }> =>
    cli([
      'regenerate',
      file,
      '--line',
      String(line),
      '--segment',
      '2',
      '--rank',
      'logprob',
      '--candidates',
      '8',
      '--temperature',
      '0.3',
      '--max-tokens',
      '120',
      '--seed',
      '7',
      '--write',
      '--model',
      model,
      '--provider',
      'cpu',
    ]);

  it('shows the alternatives regenerate --write added, and a later save keeps them with the edit made in the editor', async () => {
    const { file, uri, cot } = await copies.open('cot-studio-cli-write-', 'llava_cot.jsonl');
    const run = await regenerate(file, 2);
    assert.equal(run.code, 0, run.stderr);
    await until('the editor to reload the file the CLI wrote', () => alternatives(cot.readLine(uri, 2)) > 0);
    assert.equal(cot.openDatasets().find((dataset) => dataset.uri === uri)?.dirty, false);

    await vscode.commands.executeCommand('cotStudio.setReviewStatus', { line: 3, status: 'accepted' });
    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('the save to reach the disk', () => fs.readFileSync(file, 'utf8').includes('"accepted"'));
    const saved = fs.readFileSync(file, 'utf8').split('\n');
    assert.ok(alternatives(saved[1] ?? '') > 0, 'the alternatives the CLI wrote survive the save');
    assert.equal(readRecordState(saved[2] ?? '').annotations.review.status, 'accepted');
  });

  it('keeps the version the CLI wrote aside when unsaved edits are saved over it', async () => {
    const { scratch, file, uri, cot } = await copies.open('cot-studio-cli-write-dirty-', 'llava_cot.jsonl');
    await vscode.commands.executeCommand('cotStudio.setReviewStatus', { line: 1, status: 'rejected' });
    assert.equal(cot.openDatasets().find((dataset) => dataset.uri === uri)?.dirty, true);
    const run = await regenerate(file, 2);
    assert.equal(run.code, 0, run.stderr);
    const theirs = fs.readFileSync(file);
    assert.ok(alternatives(theirs.toString('utf8').split('\n')[1] ?? '') > 0);
    // Nobody answers the question about the change: a save comes first, as an auto save does.
    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('the save to reach the disk', () => fs.readFileSync(file, 'utf8').includes('"rejected"'));
    const aside = fs.readdirSync(scratch).filter((name) => name.startsWith('llava_cot.jsonl.cot-studio-disk-'));
    assert.equal(aside.length, 1, 'the CLI’s version is kept in a side file');
    assert.ok(fs.readFileSync(path.join(scratch, aside[0] ?? '')).equals(theirs));
  });

  it('waits for a CLI run that holds the lock, and saves once it is released', async () => {
    const { scratch, file, uri, cot } = await copies.open('cot-studio-locked-', 'mmpr.jsonl');
    await vscode.commands.executeCommand('cotStudio.setReviewStatus', { line: 1, status: 'accepted' });
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    const lock = path.join(scratch, '.mmpr.jsonl.cot-studio.lock');
    try {
      fs.writeFileSync(lock, JSON.stringify({ pid: holder.pid, host: HOST, purpose: 'cot-studio regenerate --write', since: new Date().toISOString() }));
      const saving = vscode.commands.executeCommand('workbench.action.files.save');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.ok(!fs.readFileSync(file, 'utf8').includes('"accepted"'), 'the save waits while the lock is held');
      fs.rmSync(lock);
      await saving;
      await until('the save to reach the disk', () => fs.readFileSync(file, 'utf8').includes('"accepted"'));
      // The document is marked clean once the save it was waiting on completes, a moment after the bytes land.
      await until('the dataset to be clean', () => cot.openDatasets().find((dataset) => dataset.uri === uri)?.dirty === false);
    } finally {
      holder.kill();
    }
  });
});

describe('saving on a disk that is full', function () {
  this.timeout(120_000);
  const unavailable = smallDiskUnavailable();
  let disk: SmallDisk;
  let provider: DatasetEditorProvider;

  before(function () {
    if (unavailable) this.skip();
    disk = mountSmallDisk(1024 * 1024);
    const extension = vscode.extensions.getExtension('cot-studio.cot-studio');
    assert.ok(extension);
    provider = standaloneProvider(extension.extensionUri, vscode.window.createOutputChannel('CoT Studio disk test', { log: true }));
  });

  after(() => {
    if (!unavailable) disk.unmount();
  });

  it('fails Save at every point the disk can fill with a clear error and the old file, and saves whole once there is room', async () => {
    const file = path.join(disk.dir, 'data.jsonl');
    fs.copyFileSync(path.join(datasetsDir, 'llava_cot.jsonl'), file);
    const document = await provider.openCustomDocument(vscode.Uri.file(file), { backupId: undefined, untitledDocumentData: undefined });
    try {
      const note = (free: number): string => `${String(free).padStart(3, '0')} ${'x'.repeat(20_000)}`;
      document.applyOperation({ kind: 'setReviewStatus', line: 4, status: 'needs_fix', note: note(0) }, { at: '2026-01-01T00:00:00Z', reflectionPhrase: 'x' });
      // The lock file takes a page too.
      const pages = Math.ceil((await collectChunks(document.dataset.chunks())).length / PAGE) + 1;
      const outcomes = { saved: 0, failed: 0 };
      for (let free = 0; free <= pages + 1; free++) {
        document.applyOperation(
          { kind: 'setReviewStatus', line: 4, status: 'needs_fix', note: note(free + 1) },
          { at: '2026-01-01T00:00:00Z', reflectionPhrase: 'x' },
        );
        const expected = await collectChunks(document.dataset.chunks());
        const before = fs.readFileSync(file);
        disk.leaveFree(free);
        const outcome = await provider.saveCustomDocument(document).then(
          () => undefined,
          (error: Error) => error,
        );
        disk.drain();
        if (outcome === undefined) {
          outcomes.saved++;
          assert.ok(fs.readFileSync(file).equals(expected), `${free} pages free: a save that succeeds writes every byte`);
        } else {
          outcomes.failed++;
          assert.match(outcome.message, /data\.jsonl.*: the disk is full \(ENOSPC\)/, `${free} pages free`);
          assert.ok(fs.readFileSync(file).equals(before), `${free} pages free: the file stays as it was`);
        }
        assert.deepEqual(leftoverTemporaries(disk.dir), [], `${free} pages free: no temporary file stays`);
      }
      assert.ok(outcomes.failed > 0 && outcomes.saved > 0, JSON.stringify(outcomes));
    } finally {
      document.dispose();
    }
  });

  it('fails Save As and the hot-exit backup with a clear error and keeps the last complete backup', async () => {
    const file = path.join(disk.dir, 'llava_cot.jsonl');
    fs.copyFileSync(path.join(datasetsDir, 'llava_cot.jsonl'), file);
    const original = fs.readFileSync(file);
    const document = await provider.openCustomDocument(vscode.Uri.file(file), { backupId: undefined, untitledDocumentData: undefined });
    try {
      document.applyOperation(
        { kind: 'setReviewStatus', line: 4, status: 'needs_fix', note: 'x'.repeat(20_000) },
        { at: '2026-01-01T00:00:00Z', reflectionPhrase: 'x' },
      );
      const backup = vscode.Uri.file(path.join(disk.dir, 'backups', 'llava.json'));
      const firstBackup = await provider.backupCustomDocument(document, { destination: backup });
      const backedUp = fs.readFileSync(backup.fsPath);
      document.applyOperation(
        { kind: 'setReviewStatus', line: 5, status: 'rejected', note: 'y'.repeat(20_000) },
        { at: '2026-01-01T00:00:00Z', reflectionPhrase: 'x' },
      );
      disk.leaveFree(2);
      const copy = vscode.Uri.file(path.join(disk.dir, 'copy.jsonl'));
      await assert.rejects(provider.saveCustomDocumentAs(document, copy), /cannot write .*copy\.jsonl: the disk is full \(ENOSPC\); nothing was written/);
      assert.ok(!fs.existsSync(copy.fsPath), 'Save As wrote no partial copy');
      await assert.rejects(provider.backupCustomDocument(document, { destination: backup }), /the disk is full/);
      assert.ok(fs.readFileSync(backup.fsPath).equals(backedUp), 'the last complete backup stays');
      assert.ok(fs.readFileSync(file).equals(original));
      assert.deepEqual(leftoverTemporaries(disk.dir), []);
      disk.drain();
      await provider.saveCustomDocumentAs(document, copy);
      const copied = fs.readFileSync(copy.fsPath, 'utf8').split('\n');
      assert.equal(readRecordState(copied[4] ?? '').annotations.review.status, 'rejected');
      firstBackup.delete();
    } finally {
      document.dispose();
    }
  });
});
