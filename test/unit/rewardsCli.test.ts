import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { rewardsReportSchema } from '../../src/rewards';
import { runCli } from '../harness/cli';
import { datasetsDir } from '../harness/fixtures';
import { scratchFolder } from '../harness/scratch';

const run = runCli;

function fixtureLine(name: string, line: number): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(datasetsDir, name), 'utf8').split('\n')[line - 1]) as Record<string, unknown>;
}

const MULBERRY_OUTPUT = String((fixtureLine('mulberry.jsonl', 1).messages as { content: string }[])[1].content);

describe('cot-studio reward', () => {
  it('prints one number and exits 0', async () => {
    const keySteps = JSON.stringify(fixtureLine('r1vl.jsonl', 1).key_steps);
    const [cosine, format, steps] = await Promise.all([
      run('reward', 'accuracy-math-cosine', '--output', '<think>10% more</think><answer>110</answer>', '--gt', '100'),
      run('reward', 'format-think-answer', '--output', 'no tags'),
      run('reward', 'step-accuracy', '--output', MULBERRY_OUTPUT, '--gt', '10', '--key-steps', keySteps),
    ]);
    assert.deepEqual(cosine, { code: 0, stdout: '0.75\n', stderr: '' });
    assert.equal(format.stdout, '0\n');
    assert.equal(steps.stdout, '1.1\n');
  });

  it('exits 2 naming an unknown reward, bad key steps or a missing input', async () => {
    const failures = await Promise.all([
      run('reward', 'nope', '--output', 'x', '--gt', 'y'),
      run('reward', 'step-accuracy', '--output', 'x', '--gt', '1', '--key-steps', '{"Steps": ['),
      run('reward', 'step-accuracy', '--output', 'x', '--gt', '1', '--key-steps', '{"Steps": 3}'),
      run('reward', 'accuracy-discrete', '--output', 'x'),
    ]);
    assert.deepEqual(
      failures.map((failure) => failure.code),
      [2, 2, 2, 2],
    );
    const [unknown, badJson, badShape, noTruth] = failures.map((failure) => failure.stderr);
    assert.match(unknown, /unknown reward 'nope'; one of format-think-answer, /);
    assert.match(badJson, /--key-steps: not valid JSON/);
    assert.match(badShape, /--key-steps: expected \{"Steps": \[\.\.\.\]\}/);
    assert.match(noTruth, /accuracy-discrete needs --gt TEXT/);
  });
});

describe('cot-studio rewards', () => {
  const dir = scratchFolder('cot-studio-rewards-');
  const file = path.join(dir, 'mixed.jsonl');
  fs.writeFileSync(
    file,
    [
      JSON.stringify({ ...fixtureLine('reason_rft.jsonl', 1), solution: '4' }),
      JSON.stringify({ ...fixtureLine('reason_rft.jsonl', 4), solution: '7.5' }),
      JSON.stringify({ ...fixtureLine('llava_cot.jsonl', 2), answer: '9' }),
      JSON.stringify({ ...fixtureLine('mulberry.jsonl', 1), solution: 'B' }),
      JSON.stringify(fixtureLine('llava_cot.jsonl', 1)),
      '',
      JSON.stringify(fixtureLine('r1vl.jsonl', 1)),
      '{"truncated": ',
    ].join('\n'),
  );

  it('prints every scored record, the mean and count per reward, and what it skipped, with --json', async () => {
    const { code, stdout } = await run('rewards', file, '--json');
    assert.equal(code, 1, 'a line that cannot be read is an error in the data');
    const report = rewardsReportSchema.parse(JSON.parse(stdout));
    assert.equal(report.file, 'mixed.jsonl');
    assert.deepEqual(report.records, [
      { line: 1, format: 'think-answer', rewards: { 'format-think-answer': 1, 'accuracy-discrete': 1, 'accuracy-math-cosine': 1, openvlthinker: 0.5 } },
      { line: 2, format: 'think-answer', rewards: { 'format-think-answer': 0, 'accuracy-discrete': 1, 'accuracy-math-cosine': 1, openvlthinker: 0.5 } },
      { line: 3, format: 'llava-cot', rewards: { 'accuracy-discrete': 0, 'accuracy-math-cosine': 0, 'stage-completeness': 1 } },
      { line: 4, format: 'mulberry', rewards: { 'accuracy-discrete': 1, 'step-validity': 1 } },
    ]);
    assert.deepEqual(report.summary, {
      'format-think-answer': { mean: 0.5, count: 2 },
      'accuracy-discrete': { mean: 0.75, count: 4 },
      'accuracy-math-cosine': { mean: 2 / 3, count: 3 },
      'step-validity': { mean: 1, count: 1 },
      openvlthinker: { mean: 0.5, count: 2 },
      'stage-completeness': { mean: 1, count: 1 },
    });
    assert.deepEqual(report.skipped, { noGroundTruth: 1, noResponse: 1, unreadable: 1 });
  });

  it('prints a table without --json, and skips every record of a file without ground truth', async () => {
    const [table, plain] = await Promise.all([run('rewards', file), run('rewards', path.join(datasetsDir, 'llava_cot.jsonl'))]);
    assert.equal(table.code, 1);
    assert.match(table.stdout, /^mixed\.jsonl: 4 records scored; skipped 1 without a ground truth, 1 without a response, 1 unreadable\n/);
    assert.match(table.stdout, /\n {2}line 3 \(llava-cot\): accuracy-discrete 0, accuracy-math-cosine 0, stage-completeness 1\n/);
    assert.match(table.stdout, /\nreward +mean +count\n/);
    assert.match(table.stdout, /\naccuracy-math-cosine +0\.6667 +3\n/);
    assert.equal(plain.code, 0);
    assert.equal(plain.stdout, 'llava_cot.jsonl: 0 records scored; skipped 10 without a ground truth, 0 without a response, 0 unreadable\n');
  });

  it('reads records as a forced --format and refuses an unknown one', async () => {
    const [forced, unknown] = await Promise.all([run('rewards', file, '--json', '--format', 'think-answer'), run('rewards', file, '--format', 'csv')]);
    const report = rewardsReportSchema.parse(JSON.parse(forced.stdout));
    assert.deepEqual(
      report.records.map((record) => record.line),
      [1, 2],
    );
    assert.deepEqual(report.skipped, { noGroundTruth: 0, noResponse: 0, unreadable: 5 });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown format 'csv'/);
  });
});
