import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { benchOutputSchema, bigFileMeasureIdSchema, measureIdSchema, openTimingSchema, PEAK_RSS_BOUND_MB, streamMeasureIdSchema } from '../../src/bench';
import { datasetsDir, projectRoot } from '../harness/fixtures';

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

  it('measures a big generated file once per pass, against the small file and bare passes of the same run', async () => {
    const { stdout } = await execute(process.execPath, [cli, 'bench', '--only', 'bigfile', '--json', '--big-records', '3000', '--records', '500']);
    const output = benchOutputSchema.parse(JSON.parse(stdout));
    assert.deepEqual(Object.keys(output), ['bigfile'], '--only bigfile runs no other bench');
    const result = output.bigfile;
    assert.ok(result);
    assert.equal(result.file.records, 3000);
    assert.equal(result.reference.records, 500);
    assert.deepEqual(
      result.rows.map((row) => row.id),
      bigFileMeasureIdSchema.options,
    );
    const row = (id: string) => {
      const found = result.rows.find((candidate) => candidate.id === id);
      assert.ok(found, id);
      return found;
    };
    for (const { id, ours, baseline, ratio } of result.rows) {
      assert.ok(Number.isFinite(ratio) && baseline > 0, `${id}: ratio ${ratio}`);
      if (!id.endsWith('-rss')) assert.ok(ours > 0, `${id}: ${ours}`);
    }
    const megabytes = result.file.bytes / 1e6;
    const [, openMs] = /open (\d+) ms/.exec(row('first-page').note) ?? [];
    assert.ok(row('first-page').ours >= Number(openMs), 'the first page comes after the open');
    assert.equal(row('index').unit, 'MB/s');
    const [, indexedMs] = /^(\d+) ms against/.exec(row('index').note) ?? [];
    assert.ok(Number(indexedMs) >= Number(openMs), 'the whole index comes after the first stretch');
    assert.ok(
      Math.abs(row('index').ours - megabytes / (Number(indexedMs) / 1e3)) / row('index').ours < 0.05,
      'the index throughput is the file over the time to index it whole',
    );
    for (const id of ['stats-rss', 'validate-rss']) {
      assert.equal(row(id).baseline, megabytes, `${id} is against the file size`);
      const [, peak, ofOne] = /peak ([\d.]+) MB less ([\d.]+) MB/.exec(row(id).note) ?? [];
      // The note's figures are rounded to 0.1 MB each.
      assert.ok(Math.abs(row(id).ours - (Number(peak) - Number(ofOne))) <= 0.11, `${id} is the peak over a one-record file's`);
    }
    assert.match(row('save').note, /line 1501 edited/);
    assert.equal(fs.existsSync(path.dirname(path.dirname(result.file.path))), false, 'the generated files are deleted without --keep');
  });

  it('times opening a file, its first page and its whole index, with the records it knew of', async () => {
    const file = path.join(datasetsDir, 'mmpr.jsonl');
    const records = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '').length;
    const { stdout } = await execute(process.execPath, [cli, 'bench', '--open', file]);
    const timing = openTimingSchema.parse(JSON.parse(stdout));
    assert.equal(timing.records, records);
    assert.ok(timing.recordsAtOpen > 0 && timing.recordsAtOpen <= records, 'the first stretch holds the first page');
    assert.ok(timing.firstPageMs >= timing.openMs);
    assert.ok(timing.indexedMs >= timing.firstPageMs);
    await assert.rejects(execute(process.execPath, [cli, 'bench', '--open', file, '--keep']), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /--open FILE takes no other option, not --keep/);
      return true;
    });
  });

  it('exits 2 for an option of another bench', async () => {
    await assert.rejects(
      execute(process.execPath, [cli, 'bench', '--only', 'dataset', '--stream-records', '10']),
      (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 2);
        assert.match(error.stderr, /--stream-records does not apply to the dataset bench/);
        return true;
      },
    );
    await assert.rejects(execute(process.execPath, [cli, 'bench', '--only', 'stream', '--big-records', '1000']), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /--big-records does not apply to the stream bench/);
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
