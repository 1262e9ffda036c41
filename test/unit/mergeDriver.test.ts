import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { readRecordState } from '../../src/dataset/operations';
import type { Operation } from '../../src/protocol';
import { runCli } from '../harness/cli';
import { annotate, mulberryLines, rate } from '../harness/annotating';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-merge-driver-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const lines = mulberryLines(4);
const rated = (index: number, ...operations: Operation[]): string[] => lines.map((line, i) => (i === index ? annotate(line, ...operations) : line));

/** A repository whose data.jsonl two branches annotate, with the driver installed by its command. */
async function repository(name: string, a: string[], b: string[]): Promise<{ repo: string; merge: ReturnType<typeof spawnSync> }> {
  const repo = path.join(scratch, name);
  fs.mkdirSync(repo);
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  const installed = await runCli('merge-driver', '--install', repo);
  assert.equal(installed.code, 0, installed.stderr);
  fs.writeFileSync(path.join(repo, 'data.jsonl'), `${lines.join('\n')}\n`);
  git('add', '.');
  git('commit', '-qm', 'base');
  git('checkout', '-qb', 'other');
  fs.writeFileSync(path.join(repo, 'data.jsonl'), `${b.join('\n')}\n`);
  git('commit', '-qam', 'theirs');
  git('checkout', '-q', 'main');
  fs.writeFileSync(path.join(repo, 'data.jsonl'), `${a.join('\n')}\n`);
  git('commit', '-qam', 'ours');
  const merge = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'merge', '--no-edit', 'other'], { cwd: repo, encoding: 'utf8' });
  return { repo, merge };
}

describe('cot-studio merge-driver in a real git merge', () => {
  it("merges two annotators' work on one record without a conflict, and git commits the merge", async () => {
    const { repo, merge } = await repository('clean', rated(0, rate(0, 1)), rated(0, rate(1, -1)));
    assert.equal(merge.status, 0, `${merge.stdout}${merge.stderr}`);
    const merged = fs.readFileSync(path.join(repo, 'data.jsonl'), 'utf8').split('\n');
    const { annotations } = readRecordState(merged[0] as string);
    assert.deepEqual([annotations.segments['0']?.rating, annotations.segments['1']?.rating], [1, -1]);
    for (let i = 1; i < lines.length; i++) assert.equal(merged[i], lines[i], `line ${i + 1} keeps its bytes`);
  });

  it('keeps two ratings of one step in the record as a conflict, leaves valid JSONL, and git lists the file as conflicted', async () => {
    const { repo, merge } = await repository('conflict', rated(0, rate(2, 1)), rated(0, rate(2, -1)));
    assert.notEqual(merge.status, 0, 'git stops the merge');
    const text = fs.readFileSync(path.join(repo, 'data.jsonl'), 'utf8');
    assert.doesNotMatch(text, /^(<<<<<<<|=======|>>>>>>>)/m, 'no text markers');
    for (const line of text.split('\n')) if (line !== '') JSON.parse(line);
    const { annotations } = readRecordState(text.split('\n')[0] as string);
    assert.deepEqual(annotations.conflicts, [{ path: 'segments.2.rating', ours: 1, theirs: -1 }]);
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: repo, encoding: 'utf8' });
    assert.match(status, /^UU data\.jsonl$/m);
  });

  it('refuses the wrong number of files', async () => {
    const result = await runCli('merge-driver', 'a', 'b');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /BASE OURS THEIRS/);
  });
});
