import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readRecordState } from '../../src/dataset/operations';
import type { MonteCarloResult } from '../../src/stepLabels/monteCarlo';
import { datasetsDir } from '../harness/fixtures';
import { activate, until, VIEW_TYPE } from './session';

describe('Monte Carlo step scores in the extension host', function () {
  this.timeout(120_000);
  let scratch: string;

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('scores the steps of a record with the bundled model and keeps them as one edit that undo takes back', async () => {
    const cot = await activate();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-step-scores-'));
    fs.cpSync(datasetsDir, scratch, { recursive: true });
    const [first, second] = fs.readFileSync(path.join(datasetsDir, 'llava_cot.jsonl'), 'utf8').split('\n');
    // The sample states 2022 in its conclusion; given as its ground truth, the rollouts are checked against it.
    const answered = JSON.stringify({ ...(JSON.parse(first as string) as object), answer: '2022' });
    const file = path.join(scratch, 'answered.jsonl');
    fs.writeFileSync(file, `${answered}\n${second}\n`);
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), VIEW_TYPE);
    const uri = vscode.Uri.file(file).toString();
    await until('the dataset to open', () => cot.openDatasets().some((dataset) => dataset.uri === uri));

    const result = await vscode.commands.executeCommand<MonteCarloResult>('cotStudio.scoreStepsByRollouts', { uri, line: 1, rollouts: 2 });
    assert.ok(result, 'the run gave scores');
    assert.deepEqual(
      result.steps.map((step) => step.index),
      [0, 1, 2, 3],
    );
    assert.equal(result.rollouts, 6, 'two rollouts from each prefix but the whole response');
    assert.equal(result.steps[3]?.score, 1, 'the response itself concludes 2022');
    const { annotations } = readRecordState(cot.readLine(uri, 1));
    for (const step of result.steps) {
      const stored = annotations.segments[String(step.index)]?.monteCarlo;
      assert.deepEqual(stored && { score: stored.score, correct: stored.correct, total: stored.total, policy: stored.policy, rollouts: stored.rollouts }, {
        score: step.score,
        correct: step.correct,
        total: 2,
        policy: 'tiny-bigram',
        rollouts: 6,
      });
    }
    assert.equal(cot.readLine(uri, 2), second, 'the other record is untouched');
    assert.equal(cot.openDatasets().find((dataset) => dataset.uri === uri)?.dirty, true, 'an unsaved edit');
    // Undo acts on the active editor: the dataset's, made active again after the run's notifications.
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), VIEW_TYPE);
    await vscode.commands.executeCommand('undo');
    await until('the edit to be undone', () => cot.readLine(uri, 1) === answered);

    // The second record has no ground truth: nothing to check rollouts against, nothing stored.
    assert.equal(await vscode.commands.executeCommand('cotStudio.scoreStepsByRollouts', { uri, line: 2, rollouts: 2 }), undefined);
    assert.equal(cot.readLine(uri, 2), second);
  });
});
