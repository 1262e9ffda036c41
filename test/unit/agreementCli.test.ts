import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import type { AgreementReport } from '../../src/agreement/compare';
import { runCli } from '../harness/cli';
import { datasetsDir } from '../harness/fixtures';
import { annotate, annotateAs, rate } from '../harness/annotating';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-agreement-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

// Mulberry records have no id: they are matched by their content without annotations.
const [first, second, third] = fs.readFileSync(path.join(datasetsDir, 'mulberry.jsonl'), 'utf8').split('\n') as [string, string, string];

function reviewed(line: string, ratings: (1 | 0 | -1)[], status: 'accepted' | 'rejected'): string {
  return annotate(line, ...ratings.map((rating, segment) => rate(segment, rating)), { kind: 'setReviewStatus', line: 1, status });
}

/** Two annotators: 5 steps shared, 4 rated alike; two reviews shared, one alike. The third record only A has. */
const copyA = [reviewed(first, [1, 1, -1, -1], 'accepted'), reviewed(second, [1], 'accepted'), third].join('\n');
const copyB = [reviewed(first, [1, -1, -1, -1], 'rejected'), reviewed(second, [1], 'accepted')].join('\n');

describe('cot-studio agreement', () => {
  it('compares two copies by hand-computed figures, for steps and review status, per annotator and by position', async () => {
    fs.writeFileSync(path.join(scratch, 'a.jsonl'), `${copyA}\n`);
    fs.writeFileSync(path.join(scratch, 'b.jsonl'), `${copyB}\n`);
    const result = await runCli('agreement', path.join(scratch, 'a.jsonl'), path.join(scratch, 'b.jsonl'), '--names', 'ann,bo', '--json');
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as AgreementReport;
    assert.deepEqual(report.records, { matched: 2, inOneOnly: 1 });
    assert.equal(report.steps.items, 5);
    assert.equal(report.steps.percentAgreement, 0.8);
    // A: +1 +1 -1 -1 +1, B: +1 -1 -1 -1 +1: chance (3/5)(2/5) + (2/5)(3/5) = 0.48, kappa (0.8 - 0.48) / 0.52.
    assert.ok(Math.abs((report.steps.cohenKappa ?? 0) - 0.32 / 0.52) < 1e-12, String(report.steps.cohenKappa));
    // Pooled shares 1/2 each: Scott's pi (0.8 - 0.5) / 0.5; alpha 1 - (10 - 1) * 2 / (2 * 5 * 5).
    assert.ok(Math.abs((report.steps.fleissKappa ?? 0) - 0.6) < 1e-12);
    assert.ok(Math.abs((report.steps.krippendorffAlpha ?? 0) - 0.64) < 1e-12);
    assert.equal(report.review.items, 2);
    assert.equal(report.review.percentAgreement, 0.5);
    assert.deepEqual(
      report.annotators.map((annotator) => [annotator.name, annotator.records, annotator.steps, annotator.reviews, annotator.stepAgreementWithOthers]),
      [
        ['ann', 3, 5, 2, 0.8],
        ['bo', 2, 5, 2, 0.8],
      ],
    );
    assert.deepEqual(
      report.byPosition.map((row) => [row.position, row.items, row.percentAgreement]),
      [
        [1, 2, 1],
        [2, 1, 0],
        [3, 1, 1],
        [4, 1, 1],
      ],
    );
    const text = await runCli('agreement', path.join(scratch, 'a.jsonl'), path.join(scratch, 'b.jsonl'));
    assert.match(
      text.stdout,
      /steps \(alpha ordinal\): 5 items, 10 labels; agreement 0\.800, Cohen's kappa 0\.615, Fleiss' kappa 0\.600, Krippendorff's alpha 0\.640/,
    );
  });

  it('calls each copy by the annotator its labels name, unless two copies name the same one', async () => {
    const by = (annotator: string, name: string, ratings: (1 | -1)[]) => {
      const file = path.join(scratch, name);
      fs.writeFileSync(file, `${annotateAs(annotator, first, ...ratings.map((rating, segment) => rate(segment, rating)))}\n`);
      return file;
    };
    const names = async (...files: string[]) => {
      const result = await runCli('agreement', ...files, '--json');
      assert.equal(result.code, 0, result.stderr);
      return (JSON.parse(result.stdout) as AgreementReport).annotators.map((annotator) => annotator.name);
    };
    assert.deepEqual(await names(by('Ana Lima', 'x.jsonl', [1, 1]), by('Bo', 'y.jsonl', [1, -1])), ['Ana Lima', 'Bo']);
    assert.deepEqual(await names(by('Ana Lima', 'x.jsonl', [1, 1]), by('Ana Lima', 'y.jsonl', [1, -1])), ['x.jsonl', 'y.jsonl']);
  });

  it('reads copies as git commits hold them (FILE@REF), named by their refs', async () => {
    const repo = path.join(scratch, 'repo');
    fs.mkdirSync(repo);
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo, stdio: 'pipe' });
    git('init', '-q');
    fs.writeFileSync(path.join(repo, 'steps.jsonl'), `${copyA}\n`);
    git('add', '.');
    git('commit', '-qm', 'A');
    fs.writeFileSync(path.join(repo, 'steps.jsonl'), `${copyB}\n`);
    git('commit', '-qam', 'B');
    const file = path.join(repo, 'steps.jsonl');
    const result = await runCli('agreement', `${file}@HEAD~1`, `${file}@HEAD`, '--json');
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as AgreementReport;
    assert.deepEqual(
      report.annotators.map((annotator) => annotator.name),
      ['HEAD~1', 'HEAD'],
    );
    assert.equal(report.steps.percentAgreement, 0.8);
    const missing = await runCli('agreement', `${file}@no-such-ref`, file);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no-such-ref/);
  });

  it('refuses fewer than two copies and names that do not fit', async () => {
    const one = await runCli('agreement', path.join(scratch, 'a.jsonl'));
    assert.equal(one.code, 2);
    assert.match(one.stderr, /two or more copies/);
    const names = await runCli('agreement', path.join(scratch, 'a.jsonl'), path.join(scratch, 'b.jsonl'), '--names', 'only-one');
    assert.equal(names.code, 2);
    assert.match(names.stderr, /--names needs 2 names/);
  });
});
