import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { InstalledDriver } from '../../src/merge/gitDriver';
import { datasetsDir } from '../harness/fixtures';
import { activate, until, VIEW_TYPE } from './session';

/** The saved annotation block of a line of `file`. */
function block(file: string, line: number): { segments: Record<string, { rating: number | null; ratedBy?: string }>; conflicts?: { path: string }[] } {
  return JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[line - 1] as string).cot_studio;
}

describe('a team on one dataset in the extension host', function () {
  this.timeout(90_000);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-team-'));
  const repository = path.join(scratch, 'repository');
  const file = path.join(repository, 'data.jsonl');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repository, encoding: 'utf8' });
  const config = () => vscode.workspace.getConfiguration('cotStudio');
  // The test profile names an annotator; this suite needs none set, then its own, and gives the profile's back.
  const profileAnnotator = config().inspect<string>('annotator')?.globalValue;

  before(async () => {
    await config().update('annotator', undefined, vscode.ConfigurationTarget.Global);
    fs.mkdirSync(repository);
    git('init', '-q', '-b', 'main');
    git('config', 'user.name', 'Bo Git');
    git('config', 'user.email', 'bo@example.com');
    fs.writeFileSync(file, fs.readFileSync(path.join(datasetsDir, 'mulberry.jsonl'), 'utf8').split('\n').slice(0, 3).join('\n').concat('\n'));
    git('add', 'data.jsonl');
    git('commit', '-q', '-m', 'data');
  });

  after(async () => {
    await config().update('annotator', profileAnnotator, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('names the annotator the settings give on a rating, else the git user of the repository', async () => {
    const cot = await activate();
    const uri = vscode.Uri.file(file).toString();
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), VIEW_TYPE);
    await until('the dataset to open', () => cot.openDatasets().some((dataset) => dataset.uri === uri));
    await vscode.commands.executeCommand('cotStudio.rateSegment', { uri, line: 1, segment: 0, rating: 1 });
    await config().update('annotator', 'Ana Lima', vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('cotStudio.rateSegment', { uri, line: 1, segment: 1, rating: -1 });
    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('the ratings to be saved', () => fs.readFileSync(file, 'utf8').includes('"rating":-1'));
    const { segments } = block(file, 1);
    assert.equal(segments['0']?.ratedBy, 'Bo Git');
    assert.equal(segments['1']?.ratedBy, 'Ana Lima');
  });

  it('installs the merge driver with the CLI it ships, and a real git merge of two annotators then keeps both ratings as a conflict', async () => {
    const installed = await vscode.commands.executeCommand<InstalledDriver>('cotStudio.installMergeDriver', { folder: repository });
    assert.ok(installed, 'installed');
    assert.equal(fs.realpathSync(installed.repository), fs.realpathSync(repository));
    assert.match(git('config', 'merge.cot-studio.driver'), /dist[\\/]cli\.js" merge-driver %O %A %B/);
    assert.equal(fs.readFileSync(path.join(repository, '.gitattributes'), 'utf8'), '*.jsonl merge=cot-studio\n');
    git('add', '.');
    git('commit', '-q', '-m', 'Ana and Bo rate');
    const rateThird = (rating: number) => {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      const record = JSON.parse(lines[2] as string);
      record.cot_studio = { version: 1, segments: { '0': { rating, alternatives: [] } } };
      lines[2] = JSON.stringify(record);
      fs.writeFileSync(file, lines.join('\n'));
    };
    git('checkout', '-q', '-b', 'other');
    rateThird(-1);
    git('commit', '-q', '-am', 'other: -1');
    git('checkout', '-q', 'main');
    rateThird(1);
    git('commit', '-q', '-am', 'main: +1');
    const merge = spawnSync('git', ['merge', 'other', '-m', 'merge'], { cwd: repository, encoding: 'utf8' });
    assert.notEqual(merge.status, 0, 'git reports the conflict the driver kept');
    assert.match(git('status', '--porcelain'), /^UU data\.jsonl$/m);
    const lines = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '');
    for (const line of lines) JSON.parse(line);
    assert.doesNotMatch(fs.readFileSync(file, 'utf8'), /^(<<<<<<<|>>>>>>>)/m);
    assert.deepEqual(
      block(file, 3).conflicts?.map((conflict) => conflict.path),
      ['segments.0.rating'],
    );
    assert.equal(block(file, 1).segments['1']?.ratedBy, 'Ana Lima', 'the record nobody changed on either side is as it was');
  });
});
