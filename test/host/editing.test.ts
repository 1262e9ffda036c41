import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildSample } from '../../src/editor/sample';
import type { ExportResult } from '../../src/export';
import type { CotStudioApi } from '../../src/extension';
import { datasetsDir, TEST_ANNOTATOR } from '../harness/fixtures';
import { activate as api, fixtureCopies, standaloneProvider, until, VIEW_TYPE } from './session';

function lines(file: string): string[] {
  return fs.readFileSync(file, 'utf8').split('\n');
}

function annotationsOf(lineText: string): Record<string, unknown> {
  return (JSON.parse(lineText) as { cot_studio: Record<string, unknown> }).cot_studio;
}

describe('editing a dataset in the extension host', function () {
  this.timeout(120_000);
  let scratch: string;
  let cot: CotStudioApi;

  before(async () => {
    cot = await api();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-edit-'));
    fs.cpSync(datasetsDir, scratch, { recursive: true });
    for (const file of fs.readdirSync(scratch, { recursive: true, encoding: 'utf8' })) fs.chmodSync(path.join(scratch, file), 0o755);
  });

  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  async function open(name: string): Promise<{ file: string; uri: string; original: Buffer }> {
    const file = path.join(scratch, name);
    const original = fs.readFileSync(file);
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), VIEW_TYPE);
    const uri = vscode.Uri.file(file).toString();
    await until('the dataset to open', () => cot.openDatasets().some((d) => d.uri === uri));
    return { file, uri, original };
  }

  it('runs every editing command with arguments, saves only the changed records, and undoes back to the original bytes', async () => {
    const { file, uri, original } = await open('llava_cot.jsonl');
    const before = lines(file);
    const fixed = ' 2020 shows 18 and 2021 shows 9. The difference is 18 - 9 = 9. ';
    const results = [
      await vscode.commands.executeCommand('cotStudio.editSegment', { line: 2, segment: 2, text: fixed }),
      await vscode.commands.executeCommand('cotStudio.rateSegment', { line: 2, segment: 0, rating: 1 }),
      await vscode.commands.executeCommand('cotStudio.setReviewStatus', { line: 2, status: 'accepted', note: 'fixed the subtraction' }),
      await vscode.commands.executeCommand('cotStudio.markFirstError', { line: 6, segment: 2 }),
      await vscode.commands.executeCommand('cotStudio.insertReflection', { line: 6, segment: 2, correction: 'The area is 1/2 x 6 x 8 = 24.' }),
      await vscode.commands.executeCommand('cotStudio.markPreference', { line: 1, segment: 3, chosen: 'current', rejected: { text: ' 2021 ' } }),
    ];
    assert.ok(
      results.every((result) => result !== undefined),
      JSON.stringify(results),
    );
    assert.equal(cot.openDatasets().find((d) => d.uri === uri)?.dirty, true);

    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('the save to reach the disk', () => fs.readFileSync(file, 'utf8') !== original.toString('utf8'));
    const after = lines(file);
    assert.equal(after.length, before.length);
    for (let i = 0; i < before.length; i++) {
      if (![0, 1, 5].includes(i)) assert.equal(after[i], before[i], `line ${i + 1} must be byte-identical`);
    }
    const line2 = JSON.parse(after[1]) as { conversations: { value: string }[]; cot_studio: { review: unknown; segments: Record<string, { rating: number }> } };
    assert.ok(line2.conversations[1].value.includes(`<REASONING>${fixed}</REASONING>`));
    assert.deepEqual(line2.cot_studio.review, { status: 'accepted', note: 'fixed the subtraction', by: TEST_ANNOTATOR });
    assert.equal(line2.cot_studio.segments['0'].rating, 1);
    // Everything before the annotations is the original line with one string changed.
    assert.equal(
      `${after[1].slice(0, after[1].indexOf(',"cot_studio"'))}}`,
      before[1].replace(/<REASONING>[^<]*<\/REASONING>/, `<REASONING>${fixed}</REASONING>`),
    );
    const line6 = JSON.parse(after[5]) as { conversations: { value: string }[] };
    assert.match(line6.conversations[1].value, /I think I have made a mistake\. Let me rethink it\. The area is 1\/2 x 6 x 8 = 24\./);
    const pairs = annotationsOf(after[0]).preferencePairs as { chosen: string; rejected: string }[];
    assert.deepEqual(
      pairs.map((p) => [p.chosen, p.rejected]),
      [[' 2022 ', ' 2021 ']],
    );

    for (let i = 0; i < results.length; i++) await vscode.commands.executeCommand('undo');
    await until(
      'undo to restore every line',
      () => cot.readLine(uri, 2) === before[1] && cot.readLine(uri, 6) === before[5] && cot.readLine(uri, 1) === before[0],
    );
    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('the original bytes on disk', () => fs.readFileSync(file).equals(original));

    await vscode.commands.executeCommand('redo');
    await until('redo to apply the first edit again', () => cot.readLine(uri, 2).includes(fixed));
  });

  it('accepts an alternative, records the pair and marks later segments stale', async () => {
    const file = path.join(scratch, 'alternatives.jsonl');
    const record = JSON.parse(lines(path.join(scratch, 'llava_cot.jsonl'))[1]) as Record<string, unknown>;
    const alternative = { text: ' 18 - 9 = 9. ', rating: 1, provenance: { source: 'model', model: 'test', createdAt: '2026-01-01T00:00:00Z' } };
    record.cot_studio = { version: 1, segments: { '2': { rating: -1, alternatives: [alternative] } } };
    fs.writeFileSync(file, `${JSON.stringify(record)}\n`);
    const { uri } = await open('alternatives.jsonl');
    await vscode.commands.executeCommand('cotStudio.acceptAlternative', { line: 1, segment: 2, alternative: 0 });
    const annotations = annotationsOf(cot.readLine(uri, 1)) as {
      segments: Record<string, { rating: number | null; stale?: boolean; alternatives: { text: string; provenance: { source: string } }[] }>;
      preferencePairs: { chosen: string; rejected: string; origin: string; level: string; position: number }[];
    };
    assert.equal(annotations.segments['2'].rating, 1);
    assert.equal(annotations.segments['2'].alternatives[0].provenance.source, 'original', 'the replaced text stays as an alternative');
    assert.equal(annotations.segments['3'].stale, true);
    assert.deepEqual(
      annotations.preferencePairs.map((p) => [p.level, p.position, p.origin, p.chosen]),
      [['segment', 2, 'accepted-alternative', ' 18 - 9 = 9. ']],
    );
  });

  it('moves the selection with the navigation commands, skipping blank lines', async () => {
    await open('edge_cases.jsonl');
    const blank =
      fs
        .readFileSync(path.join(scratch, 'edge_cases.jsonl'), 'utf8')
        .split('\n')
        .findIndex((line) => line.trim() === '') + 1;
    assert.equal(await vscode.commands.executeCommand('cotStudio.goToSample', { line: blank - 1 }), blank - 1);
    assert.equal(await vscode.commands.executeCommand('cotStudio.nextSample'), blank + 1, 'next skips the blank line');
    assert.equal(await vscode.commands.executeCommand('cotStudio.goToSample', { line: blank }), blank + 1, 'a blank line goes to the next record');
    assert.equal(await vscode.commands.executeCommand('cotStudio.previousSample'), blank - 1);
    assert.equal(await vscode.commands.executeCommand('cotStudio.goToSample', { line: 1 }), 1);
    assert.equal(await vscode.commands.executeCommand('cotStudio.previousSample'), 1, 'the first record stays selected');
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('cotStudio.goToSample', { line: 'x' })),
      /cotStudio.goToSample: invalid arguments \(line: /,
    );
  });

  it('throws a clear error for bad arguments and leaves the file untouched', async () => {
    const { uri } = await open('mulberry.jsonl');
    const before = cot.readLine(uri, 2);
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('cotStudio.rateSegment', { line: 2, segment: 0, rating: 5 })),
      /invalid arguments \(rating/,
    );
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('cotStudio.rateSegment', { line: 2, segment: 99, rating: 1 })),
      /mulberry\.jsonl:2: there is no segment 99/,
    );
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('cotStudio.editSegment', { line: 40, segment: 0, text: 'x' })),
      /has 6 lines; there is no line 40/,
    );
    assert.equal(cot.readLine(uri, 2), before);
    assert.equal(cot.openDatasets().find((d) => d.uri === uri)?.dirty, false);
  });

  it('reverts unsaved edits to the file on disk', async () => {
    const { file, uri, original } = await open('mmpr.jsonl');
    await vscode.commands.executeCommand('cotStudio.setReviewStatus', { line: 1, status: 'rejected' });
    assert.notEqual(cot.readLine(uri, 1), original.toString('utf8').split('\n')[0]);
    // The tab model learns of the edit from the workbench a moment later.
    await until('the tab to show unsaved changes', () => vscode.window.tabGroups.activeTabGroup.activeTab?.isDirty);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await until('the revert', () => cot.readLine(uri, 1) === original.toString('utf8').split('\n')[0]);
    assert.ok(fs.readFileSync(file).equals(original));
  });

  it('reloads when another program changes the file and nothing is unsaved', async () => {
    const { file, uri } = await open('reason_rft.jsonl');
    const changed = lines(file);
    changed[0] = changed[0].replace('"rft-001"', '"rft-001-external"');
    fs.writeFileSync(file, changed.join('\n'));
    await until('the external change to show', () => cot.readLine(uri, 1).includes('rft-001-external'));
  });

  it('fills the Problems panel with line ranges and rechecks a record after an edit', async () => {
    const { uri } = await open('llava_cot.jsonl');
    // A small file shows its problems on open, from the background pass, before anyone asks.
    await until('the problems found on open', () => vscode.languages.getDiagnostics(vscode.Uri.parse(uri)).length === 2);
    const summary = await vscode.commands.executeCommand<{ records: number; errors: number; warnings: number }>('cotStudio.validateDataset', { uri });
    assert.deepEqual(summary, { records: 10, errors: 2, warnings: 0 });
    const diagnostics = vscode.languages.getDiagnostics(vscode.Uri.parse(uri));
    assert.deepEqual(
      diagnostics.map((d) => [d.range.start.line + 1, d.code, d.severity === vscode.DiagnosticSeverity.Error]),
      [
        [8, 'stage-grammar', true],
        [10, 'stage-grammar', true],
      ],
    );
    const line8 = cot.readLine(uri, 8);
    const range = diagnostics[0].range;
    assert.ok(line8.slice(range.start.character, range.end.character).startsWith('"<SUMMARY>'), 'the range covers the response string');
    // Closing the CONCLUSION stage fixes line 8; its diagnostic goes away without a full revalidation.
    await vscode.commands.executeCommand('cotStudio.editSegment', { line: 8, segment: 3, text: ' 9 </CONCLUSION>' });
    await until('line 8 to be rechecked', () => vscode.languages.getDiagnostics(vscode.Uri.parse(uri)).every((d) => d.range.start.line !== 7));
  });

  it('exports the open dataset, unsaved edits included, and names refused lines', async () => {
    const { uri } = await open('mulberry.jsonl');
    await vscode.commands.executeCommand('cotStudio.editSegment', { line: 1, segment: 0, text: 'An edited description.' });
    const output = path.join(scratch, 'exported.mulberry.jsonl');
    const result = await vscode.commands.executeCommand<{ written: number; refusals: { line: number; reason: string }[] }>('cotStudio.export', {
      uri,
      format: 'mulberry',
      output,
    });
    assert.equal(result.written, 5);
    assert.deepEqual(
      result.refusals.map((r) => r.line),
      [6],
    );
    const first = JSON.parse(fs.readFileSync(output, 'utf8').split('\n')[0]) as { messages: { content: string }[]; cot_studio?: unknown };
    assert.match(first.messages[1].content, /### Image Description:\nAn edited description\./);
    assert.equal(first.cot_studio, undefined);
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('cotStudio.export', { uri, format: 'csv', output })), /invalid arguments \(format/);
  });

  it('exports through the OpenVLThinker filters its arguments name', async () => {
    const { uri } = await open('openvlthinker.jsonl');
    const output = path.join(scratch, 'exported.openvlthinker.jsonl');
    const result = await vscode.commands.executeCommand<ExportResult>('cotStudio.export', {
      uri,
      format: 'llamafactory-sharegpt',
      output,
      cutReflections: true,
      maxWords: 500,
    });
    assert.equal(result.written, 2);
    assert.deepEqual([result.filtered.reflectionsCut, result.filtered.overWordLimit], [1, 0]);
    const first = JSON.parse(lines(output)[0]) as { conversations: { value: string }[] };
    assert.equal(
      first.conversations[1].value,
      '<think>Each notebook costs 3.50 and there are 4. 3.50 * 4 = 14.00.</think>\nThe notebooks cost 14 dollars in total.\n<answer>14</answer>',
    );
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('cotStudio.export', { uri, format: 'trl-sft', output, maxWords: 0 })),
      /invalid arguments \(maxWords/,
    );
  });

  it('shows images inside the dataset folder and refuses paths that escape it, and the system prompt above the question', async () => {
    const folder = path.join(scratch, 'escape');
    fs.mkdirSync(folder);
    fs.copyFileSync(path.join(scratch, 'images', 'shapes.png'), path.join(scratch, 'outside.png'));
    fs.mkdirSync(path.join(folder, 'images'));
    fs.copyFileSync(path.join(scratch, 'images', 'shapes.png'), path.join(folder, 'images', 'inside.png'));
    const record = {
      messages: [
        { role: 'system', content: 'Count carefully.' },
        { role: 'user', content: '<image><image><image>How many?' },
        { role: 'assistant', content: '<think>3</think><answer>3</answer>' },
      ],
      images: ['images/inside.png', '../outside.png', 'images/missing.png'],
    };
    const file = path.join(folder, 'images.jsonl');
    fs.writeFileSync(file, `${JSON.stringify(record)}\n`);
    const extension = vscode.extensions.getExtension('cot-studio.cot-studio');
    assert.ok(extension);
    const log = vscode.window.createOutputChannel('CoT Studio image test', { log: true });
    const provider = standaloneProvider(extension.extensionUri, log);
    const document = await provider.openCustomDocument(vscode.Uri.file(file), { backupId: undefined, untitledDocumentData: undefined });
    const sample = buildSample(document, 0, (image) => `webview:${image}`);
    assert.deepEqual(
      sample.images.map((image) => [image.src !== null, image.problem?.replace(/:.*/, '')]),
      [
        [true, undefined],
        [false, '../outside.png is outside the dataset folder and the cotStudio.imageRoots folders'],
        [false, 'image not found'],
      ],
    );
    assert.equal(sample.images[0].src, `webview:${path.join(folder, 'images', 'inside.png')}`);
    assert.equal(sample.system, 'Count carefully.');
    assert.equal(sample.question, '<image><image><image>How many?');
    document.dispose();
    log.dispose();
  });

  it('saves a copy with Save As, and restores unsaved edits from a hot-exit backup', async () => {
    const log = vscode.window.createOutputChannel('CoT Studio test', { log: true });
    const extension = vscode.extensions.getExtension('cot-studio.cot-studio');
    assert.ok(extension);
    const provider = standaloneProvider(extension.extensionUri, log);
    const file = path.join(scratch, 'openvlthinker.jsonl');
    const original = fs.readFileSync(file);
    const document = await provider.openCustomDocument(vscode.Uri.file(file), { backupId: undefined, untitledDocumentData: undefined });
    document.applyOperation({ kind: 'setReviewStatus', line: 2, status: 'needs_fix', note: 'penalty' }, { at: '2026-01-01T00:00:00Z', reflectionPhrase: 'x' });

    const copy = vscode.Uri.file(path.join(scratch, 'openvlthinker-copy.jsonl'));
    await provider.saveCustomDocumentAs(document, copy);
    const copied = fs.readFileSync(copy.fsPath, 'utf8').split('\n');
    assert.equal(copied[0], original.toString('utf8').split('\n')[0]);
    assert.match(copied[1], /"needs_fix"/);
    assert.ok(fs.readFileSync(file).equals(original), 'Save As leaves the original file alone');

    const destination = vscode.Uri.file(path.join(scratch, 'backup.json'));
    const backup = await provider.backupCustomDocument(document, { destination });
    const stored = JSON.parse(fs.readFileSync(destination.fsPath, 'utf8')) as { changes: { line: number }[] };
    assert.deepEqual(
      stored.changes.map((c) => c.line),
      [1],
      'the backup holds only the changed line',
    );
    const restored = await provider.openCustomDocument(vscode.Uri.file(file), { backupId: backup.id, untitledDocumentData: undefined });
    assert.equal(restored.dataset.lineText(1), document.dataset.lineText(1));
    assert.equal(restored.dataset.isChanged, true);
    document.dispose();
    restored.dispose();
    log.dispose();
  });
});

/** The 0-based line of the first line that parses as a JSON object (a record the commands can edit). */
function firstRecordLine(bytes: Buffer): number {
  const found = bytes
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .split('\n')
    .findIndex((text) => {
      try {
        const value: unknown = JSON.parse(text);
        return typeof value === 'object' && value !== null && !Array.isArray(value);
      } catch {
        return false;
      }
    });
  assert.notEqual(found, -1, 'the fixture has a record');
  return found;
}

/** Where a line's content sits in the file's bytes: after the BOM on line 0, before its `\r\n` or `\n` (or the end). */
function contentRange(bytes: Buffer, line: number): { start: number; end: number } {
  let start = 0;
  for (let i = 0; i < line; i++) start = bytes.indexOf(0x0a, start) + 1;
  if (line === 0 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  let end = bytes.indexOf(0x0a, start);
  if (end === -1) end = bytes.length;
  if (end > start && bytes[end - 1] === 0x0d) end--;
  return { start, end };
}

function withoutAnnotations(text: string): Record<string, unknown> {
  const record = JSON.parse(text) as Record<string, unknown>;
  delete record.cot_studio;
  return record;
}

/** Sees the watcher events for one file the way the document's own watcher does, to wait for them in a test. */
function watchFile(file: string): { deleted: Promise<void>; dispose(): void } {
  const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
  const deleted = new Promise<void>((resolve) => watcher.onDidDelete(() => resolve()));
  return { deleted, dispose: () => watcher.dispose() };
}

describe('saving every fixture in the extension host changes only the edited line', function () {
  this.timeout(120_000);
  const copies = fixtureCopies();

  const fixtures = fs
    .readdirSync(datasetsDir)
    .filter((name) => name.endsWith('.jsonl'))
    .sort();

  it('finds every fixture, the edge cases included', () => {
    assert.ok(fixtures.length >= 8, fixtures.join(', '));
    assert.ok(fixtures.includes('edge_cases.jsonl'));
  });

  for (const name of fixtures) {
    it(`${name}: a review saved through the workbench replaces one line, and undo then save gives back the original bytes`, async () => {
      const { file, uri, cot } = await copies.open('cot-studio-bytes-', name);
      const original = fs.readFileSync(file);
      const line = firstRecordLine(original);
      const { start, end } = contentRange(original, line);
      const originalText = original.subarray(start, end).toString('utf8');
      assert.equal(cot.readLine(uri, line + 1), originalText, 'the document reads the line as the test does');

      const label = await vscode.commands.executeCommand('cotStudio.setReviewStatus', { line: line + 1, status: 'accepted' });
      assert.ok(label, 'the command changed the record');
      assert.equal(cot.openDatasets().find((d) => d.uri === uri)?.dirty, true);
      await vscode.commands.executeCommand('workbench.action.files.save');
      await until('the save to reach the disk', () => !fs.readFileSync(file).equals(original));

      const saved = fs.readFileSync(file);
      const tail = original.length - end;
      assert.ok(saved.subarray(0, start).equals(original.subarray(0, start)), 'every byte before the line (the BOM included) is unchanged');
      assert.ok(saved.subarray(saved.length - tail).equals(original.subarray(end)), 'every byte from the line ending on (CRLF, no final newline) is unchanged');
      const savedText = saved.subarray(start, saved.length - tail).toString('utf8');
      assert.ok(!/[\r\n]/.test(savedText), 'the record stays on its line');
      assert.equal(savedText, cot.readLine(uri, line + 1));
      assert.deepEqual((JSON.parse(savedText) as { cot_studio: { review: unknown } }).cot_studio.review, { status: 'accepted', by: TEST_ANNOTATOR });
      assert.deepEqual(withoutAnnotations(savedText), withoutAnnotations(originalText), 'only the annotations were added');
      assert.equal(cot.openDatasets().find((d) => d.uri === uri)?.dirty, false);

      await vscode.commands.executeCommand('undo');
      await until('undo to restore the line', () => cot.readLine(uri, line + 1) === originalText);
      await vscode.commands.executeCommand('workbench.action.files.save');
      await until('the save after undo to reach the disk', () => !fs.readFileSync(file).equals(saved));
      assert.ok(fs.readFileSync(file).equals(original), 'undo then save gives back the original bytes');
    });
  }
});

describe('another program changing an open dataset in the extension host', function () {
  this.timeout(120_000);
  const copies = fixtureCopies();

  it('reloads a file replaced by rename (write a temporary file, rename it over) and edits the new version', async () => {
    const { scratch, file, uri, cot } = await copies.open('cot-studio-rename-', 'reason_rft.jsonl');
    const replaced = fs.readFileSync(file, 'utf8').split('\n');
    replaced[1] = replaced[1].replace('"rft-002"', '"rft-002-renamed"');
    assert.match(replaced[1], /rft-002-renamed/);
    const temporary = path.join(scratch, '.reason_rft.jsonl.tmp');
    // The file watcher starts a moment after the file opens, and sees nothing done before: a replacement it
    // missed is made again.
    for (let attempt = 1; ; attempt++) {
      fs.writeFileSync(temporary, replaced.join('\n'));
      fs.renameSync(temporary, file);
      const shown = await until('the replaced file to show', () => cot.readLine(uri, 2).includes('rft-002-renamed'), 10_000).then(
        () => true,
        (error: unknown) => {
          if (attempt === 3) throw error;
          return false;
        },
      );
      if (shown) break;
    }
    assert.equal(cot.readLine(uri, 1), replaced[0]);
    assert.equal(cot.openDatasets().find((d) => d.uri === uri)?.dirty, false, 'a reload is not an unsaved edit');

    // The reloaded file is the base the next save writes over: only the edited line differs from it.
    await vscode.commands.executeCommand('cotStudio.setReviewStatus', { line: 3, status: 'rejected' });
    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('the save to reach the disk', () => fs.readFileSync(file, 'utf8') !== replaced.join('\n'));
    const saved = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(saved.length, replaced.length);
    for (let i = 0; i < replaced.length; i++) if (i !== 2) assert.equal(saved[i], replaced[i], `line ${i + 1} is the replaced file's`);
    assert.deepEqual(annotationsOf(saved[2]).review, { status: 'rejected', by: TEST_ANNOTATOR });
  });

  it('keeps the version another program wrote in a side file when a save comes before anyone answers for it', async () => {
    const { scratch, file, uri, cot } = await copies.open('cot-studio-unanswered-', 'mmpr.jsonl');
    const original = lines(file);
    await vscode.commands.executeCommand('cotStudio.setReviewStatus', { line: 1, status: 'accepted', note: 'mine' });
    assert.equal(cot.openDatasets().find((d) => d.uri === uri)?.dirty, true);
    const theirs = [...original];
    const record = JSON.parse(theirs[1]) as { question: string };
    record.question = 'Changed by another program?';
    theirs[1] = JSON.stringify(record);
    const theirBytes = Buffer.from(theirs.join('\n'), 'utf8');
    fs.writeFileSync(file, theirBytes);
    // Nobody answers the question about the change (the host cannot click it): a save comes first, as an auto save does.
    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('the save to reach the disk', () => !fs.readFileSync(file).equals(theirBytes));
    const saved = lines(file);
    assert.deepEqual(annotationsOf(saved[0]).review, { status: 'accepted', note: 'mine', by: TEST_ANNOTATOR });
    assert.deepEqual(saved.slice(1), original.slice(1), 'the save writes my version');
    const sideFiles = fs.readdirSync(scratch).filter((entry) => entry.startsWith('mmpr.jsonl.cot-studio-disk-') && entry.endsWith('.jsonl'));
    assert.equal(sideFiles.length, 1, `the other program's version must be kept aside; side files: ${sideFiles.join(', ') || 'none'}`);
    assert.ok(fs.readFileSync(path.join(scratch, sideFiles[0])).equals(theirBytes), 'the side file holds exactly what the other program wrote');
  });

  it('keeps a deleted file open with its content, and a save writes the same bytes back', async () => {
    const { file, uri, cot } = await copies.open('cot-studio-delete-', 'edge_cases.jsonl');
    const original = fs.readFileSync(file);
    const line = firstRecordLine(original);
    const text = cot.readLine(uri, line + 1);
    const watch = watchFile(file);
    try {
      fs.unlinkSync(file);
      await watch.deleted;
    } finally {
      watch.dispose();
    }
    // The document's own watcher saw the same event; give its handler time to run before looking.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.ok(!fs.existsSync(file));
    assert.ok(
      cot.openDatasets().some((d) => d.uri === uri),
      'the dataset stays open',
    );
    assert.equal(cot.readLine(uri, line + 1), text, 'with its content');
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom && tab.input.uri.toString() === uri, 'its editor stays open');

    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('the save to write the file again', () => fs.existsSync(file));
    assert.ok(fs.readFileSync(file).equals(original), 'the file is written back byte for byte');
  });
});
