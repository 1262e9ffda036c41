import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AgreementReport } from '../../src/agreement/compare';
import { datasetsDir } from '../harness/fixtures';
import { activate, until, VIEW_TYPE } from './session';

describe('comparing annotations with other copies in the extension host', function () {
  this.timeout(60_000);
  let scratch: string;

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("compares the open dataset, unsaved ratings included, with another annotator's copy", async () => {
    const cot = await activate();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-compare-'));
    const [first, second] = fs.readFileSync(path.join(datasetsDir, 'mulberry.jsonl'), 'utf8').split('\n');
    const file = path.join(scratch, 'mine.jsonl');
    fs.writeFileSync(file, `${first}\n${second}\n`);
    fs.writeFileSync(path.join(scratch, 'theirs.jsonl'), `${first}\n${second}\n`);
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), VIEW_TYPE);
    const uri = vscode.Uri.file(file).toString();
    await until('the dataset to open', () => cot.openDatasets().some((dataset) => dataset.uri === uri));
    // Theirs: both steps +1, saved; mine: +1 and -1, not saved.
    const theirs = path.join(scratch, 'theirs.jsonl');
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(theirs), VIEW_TYPE);
    const theirsUri = vscode.Uri.file(theirs).toString();
    await until('their copy to open', () => cot.openDatasets().some((dataset) => dataset.uri === theirsUri));
    for (const segment of [0, 1]) await vscode.commands.executeCommand('cotStudio.rateSegment', { uri: theirsUri, line: 1, segment, rating: 1 });
    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('their ratings to be saved', () => fs.readFileSync(theirs, 'utf8').includes('"rating":1'));
    await vscode.commands.executeCommand('cotStudio.rateSegment', { uri, line: 1, segment: 0, rating: 1 });
    await vscode.commands.executeCommand('cotStudio.rateSegment', { uri, line: 1, segment: 1, rating: -1 });

    const report = await vscode.commands.executeCommand<AgreementReport>('cotStudio.compareAnnotations', { uri, files: [theirs] });
    assert.ok(report, 'a report');
    assert.deepEqual(
      report.annotators.map((annotator) => annotator.name),
      ['mine.jsonl', 'theirs.jsonl'],
    );
    assert.equal(report.records.matched, 2);
    assert.equal(report.steps.items, 2);
    assert.equal(report.steps.percentAgreement, 0.5);
    assert.match(vscode.window.activeTextEditor?.document.getText() ?? '', /steps \(alpha ordinal\): 2 items, 4 labels; agreement 0\.500/);
  });
});
