import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunningServer } from '../../src/serve';
import { readRecordState } from '../../src/dataset/operations';
import type { PrelabelResult } from '../../src/stepLabels/prelabel';
import { datasetsDir } from '../harness/fixtures';
import { ScriptedStepJudge, startScriptedJudge } from '../harness/scriptedJudge';
import { activate, until, VIEW_TYPE } from './session';

describe('pre-labels in the extension host', function () {
  this.timeout(120_000);
  let scratch: string;
  let judge: RunningServer;
  const scripted = new ScriptedStepJudge();
  const settings = () => vscode.workspace.getConfiguration('cotStudio');

  before(async () => {
    judge = await startScriptedJudge(scripted);
  });

  after(async () => {
    await settings().update('prelabel.judgeBaseUrl', undefined, vscode.ConfigurationTarget.Global);
    await settings().update('prelabel.judgeModel', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await judge.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('asks the judge for each step, keeps the suggestions beside a rating a person gave, and confirms them as ratings', async () => {
    const cot = await activate();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-prelabel-'));
    fs.cpSync(datasetsDir, scratch, { recursive: true });
    const [first, second] = fs.readFileSync(path.join(datasetsDir, 'mulberry.jsonl'), 'utf8').split('\n');
    const file = path.join(scratch, 'steps.jsonl');
    fs.writeFileSync(file, `${first}\n${second}\n`);
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), VIEW_TYPE);
    const uri = vscode.Uri.file(file).toString();
    await until('the dataset to open', () => cot.openDatasets().some((dataset) => dataset.uri === uri));

    // With the bundled sample model as the judge there is nothing to suggest: it says so and changes nothing.
    assert.equal(await vscode.commands.executeCommand('cotStudio.prelabelSteps', { uri, line: 1 }), undefined);
    assert.equal(cot.readLine(uri, 1), first);

    // A judge server of its own, while the sample model stays the generation backend.
    await settings().update('prelabel.judgeBaseUrl', judge.url, vscode.ConfigurationTarget.Global);
    await settings().update('prelabel.judgeModel', 'scripted-step-judge', vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('cotStudio.rateSegment', { uri, line: 1, segment: 1, rating: 0 });

    const result = await vscode.commands.executeCommand<PrelabelResult>('cotStudio.prelabelSteps', { uri, line: 1 });
    assert.ok(result && result.steps.length > 0, 'the judge suggested labels');
    const { parsed, annotations } = readRecordState(cot.readLine(uri, 1));
    const steps = parsed.responses[0]?.segments ?? [];
    assert.equal(result.steps.length + result.missing.length, steps.length);
    for (const suggestion of result.steps) {
      // The scripted judge calls a step with a digit incorrect, any other correct.
      const expected = /\d/.test(steps[suggestion.index]?.text.trim() ?? '') ? -1 : 1;
      assert.equal(suggestion.label, expected, `step ${suggestion.index}`);
      const stored = annotations.segments[String(suggestion.index)]?.prelabel;
      assert.equal(stored?.label, expected);
      assert.equal(stored?.provenance.method, 'step-judge');
      assert.match(stored?.provenance.backend ?? '', /scripted-step-judge/);
    }
    assert.equal(annotations.segments['1']?.rating, 0, 'a suggestion never replaces a rating');
    assert.equal(annotations.segments['0']?.rating, null, 'nor becomes one by itself');

    await vscode.commands.executeCommand('cotStudio.confirmPrelabels', { uri, line: 1 });
    const confirmed = readRecordState(cot.readLine(uri, 1)).annotations;
    for (const suggestion of result.steps.filter((step) => step.index !== 1)) {
      assert.equal(confirmed.segments[String(suggestion.index)]?.rating, suggestion.label);
      assert.equal(confirmed.segments[String(suggestion.index)]?.ratingProvenance?.method, 'confirmed-prelabel');
    }
    assert.equal(confirmed.segments['1']?.rating, 0, 'the step a person rated keeps its rating');
    assert.equal(cot.readLine(uri, 2), second, 'the other record is untouched');
  });
});
