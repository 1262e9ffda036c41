import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { benchOutputSchema, measureIdSchema, PEAK_RSS_BOUND_MB, streamMeasureIdSchema } from '../../src/bench';
import { projectRoot } from '../harness/fixtures';

const cli = path.join(projectRoot, 'dist', 'cli.js');
const execute = promisify(execFile);

describe('cot-studio bench', () => {
  // Enough records for the file to go to the index worker (over 4 MB) and for RSS to show the load.
  it('measures a generated file and gives every figure as a positive, finite ratio', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-bench-test-'));
    const out = path.join(dir, 'bench.json');
    let written: unknown;
    let stdout: string;
    try {
      ({ stdout } = await execute(process.execPath, ['--expose-gc', cli, 'bench', '--only', 'dataset', '--json', '--records', '5000', '--out', out]));
      written = JSON.parse(fs.readFileSync(out, 'utf8'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const output = benchOutputSchema.parse(JSON.parse(stdout));
    assert.deepEqual(written, output);
    assert.equal(output.engine, undefined, '--only dataset runs no engine bench');
    const result = output.dataset;
    assert.ok(result);
    assert.equal(result.file.records, 5000);
    assert.ok(result.file.meanLineBytes > 1500 && result.file.meanLineBytes < 2000, `mean line ${result.file.meanLineBytes} B`);
    assert.deepEqual(
      result.rows.map((row) => row.id),
      measureIdSchema.options,
    );
    for (const row of result.rows) assert.ok(Number.isFinite(row.ratio) && row.ratio > 0, `${row.id}: ratio ${row.ratio}`);
    assert.match(result.rows.find((row) => row.id === 'stats')?.note ?? '', /\b0 records with errors/);
    assert.equal(fs.existsSync(path.dirname(result.file.path)), false, 'the generated file is deleted without --keep');
  });

  it('times export and convert of a generated file in child processes, with their peak RSS against the bound', async () => {
    const { stdout } = await execute(process.execPath, [cli, 'bench', '--only', 'stream', '--json', '--stream-records', '3000']);
    const output = benchOutputSchema.parse(JSON.parse(stdout));
    assert.equal(output.dataset, undefined, '--only stream runs no dataset bench');
    const result = output.stream;
    assert.ok(result);
    assert.equal(result.file.records, 3000);
    assert.deepEqual(
      result.rows.map((row) => row.id),
      streamMeasureIdSchema.options,
    );
    for (const row of result.rows) assert.ok(Number.isFinite(row.ratio) && row.ratio > 0, `${row.id}: ratio ${row.ratio}`);
    const peak = result.rows.find((row) => row.id === 'peak-rss');
    assert.equal(peak?.baseline, PEAK_RSS_BOUND_MB);
    const largest = Math.max(...result.rows.filter((row) => row.id !== 'peak-rss').map((row) => Number(/peak RSS ([\d.]+) MB/.exec(row.note)?.[1])));
    assert.equal(peak?.ours.toFixed(1), largest.toFixed(1), 'the peak row is the largest of the runs');
    assert.equal(fs.existsSync(path.dirname(result.file.path)), false, 'the generated file is deleted without --keep');
  });

  it('exits 2 for an option of another bench', async () => {
    await assert.rejects(execute(process.execPath, [cli, 'bench', '--only', 'dataset', '--stream-records', '10']), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /--stream-records does not apply to the dataset bench/);
      return true;
    });
  });

  it('exits 2 for a record count too small to sample', async () => {
    await assert.rejects(execute(process.execPath, [cli, 'bench', '--records', '10']), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /--records must be a whole number of at least \d+/);
      return true;
    });
  });
});
