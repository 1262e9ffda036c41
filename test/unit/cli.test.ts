import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { checkContext } from '../../src/cli/datasetFile';
import { Dataset } from '../../src/dataset';
import { WORKER_THRESHOLD_BYTES } from '../../src/dataset/indexWorker';
import { mergeStatsParts } from '../../src/dataset/stats/merge';
import { tallyRange } from '../../src/dataset/stats/tally';
import { datasetStats, datasetStatsSchema } from '../../src/dataset/validate';
import { runCli } from '../harness/cli';
import { datasetsDir } from '../harness/fixtures';
import { scratchFolder } from '../harness/scratch';

const run = runCli;

const fixture = (name: string) => path.join(datasetsDir, name);

describe('cot-studio validate', () => {
  it('lists each problem as FILE:LINE:COLUMN and exits 1 when a record has errors', async () => {
    const { code, stdout } = await run('validate', fixture('llava_cot.jsonl'));
    assert.equal(code, 1);
    const problems = stdout.trim().split('\n').slice(0, -1);
    assert.deepEqual(
      problems.map((line) => /:(\d+):\d+: error \[(\S+)\]/.exec(line)?.slice(1)),
      [
        ['8', 'stage-grammar'],
        ['10', 'stage-grammar'],
      ],
    );
    assert.match(stdout, /10 records: 2 errors, 0 warnings\n$/);
  });

  it('exits 0 for a clean file and 2 for a missing one or an unknown forced format', async () => {
    assert.equal((await run('validate', fixture('mmpr.jsonl'))).code, 0);
    const missing = await run('validate', fixture('nope.jsonl'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*nope\.jsonl/);
    assert.equal((await run('validate', fixture('mmpr.jsonl'), '--format', 'csv')).code, 2);
  });

  it('names the line of every unreadable record in the edge-case file', async () => {
    const { stdout } = await run('validate', fixture('edge_cases.jsonl'));
    const unparseable = stdout.split('\n').filter((line) => line.includes('[unparseable]'));
    const source = fs.readFileSync(fixture('edge_cases.jsonl'), 'utf8').split('\n');
    for (const line of unparseable) {
      const number = Number(/:(\d+):/.exec(line)?.[1]);
      assert.throws(() => {
        const value: unknown = JSON.parse(source[number - 1].replace(/^\uFEFF/, ''));
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
      }, `line ${number} parses but was reported unparseable`);
    }
    assert.equal(unparseable.length, 3);
  });
});

describe('cot-studio stats', () => {
  it('prints machine-readable counts with --json', async () => {
    const { code, stdout } = await run('stats', fixture('llava_cot.jsonl'), '--json');
    assert.equal(code, 1, 'two records break the stage grammar: the data has errors');
    const stats = datasetStatsSchema.parse(JSON.parse(stdout));
    assert.equal(stats.records, 10);
    assert.deepEqual(stats.formats, { 'llava-cot': 10 });
    assert.equal(stats.checks['stage-grammar'], 2);
    assert.equal(stats.review.unreviewed, 10);
    assert.equal(stats.segments.byKind.stage, 4 * 10 - 1);
    const clean = await run('stats', fixture('mmpr.jsonl'));
    assert.equal(clean.code, 0, clean.stderr);
    assert.match(clean.stdout, /^mmpr\.jsonl: 2 records on 2 lines, 0 with errors/);
    assert.equal((await run('stats', fixture('missing.jsonl'))).code, 2);
  });

  it('counts a large file on worker threads exactly as one pass over it does', async () => {
    // Every fixture, the edge cases (BOM, CRLF, blank and unparseable lines) first, repeated past the size
    // at which the file is split across workers; the copy sits beside the images its records name.
    const names = ['edge_cases.jsonl', ...fs.readdirSync(datasetsDir).filter((name) => name.endsWith('.jsonl') && name !== 'edge_cases.jsonl')];
    const once = Buffer.concat(names.map((name) => fs.readFileSync(fixture(name))).flatMap((bytes) => [bytes, Buffer.from('\n')]));
    const bytes = Buffer.concat(Array.from({ length: Math.ceil((WORKER_THRESHOLD_BYTES * 1.5) / once.length) }, () => once));
    const file = path.join(datasetsDir, `large-stats-${process.pid}.jsonl`);
    fs.writeFileSync(file, bytes);
    try {
      const { code, stdout, stderr } = await run('stats', file, '--json');
      assert.equal(code, 1, stderr);
      const expected = datasetStats(Dataset.fromBytes(path.basename(file), bytes), checkContext(file, undefined, undefined));
      assert.ok(expected.records > 500 && expected.checks.unparseable > 0 && expected.formats.mmpr > 0);
      assert.deepEqual(datasetStatsSchema.parse(JSON.parse(stdout)), JSON.parse(JSON.stringify(expected)));
    } finally {
      fs.rmSync(file);
    }
  });
});

describe('stats of a range of a file', () => {
  it('tallies its lines a block at a time as one pass over them does, a line across blocks or a block across a line', async () => {
    const names = ['edge_cases.jsonl', ...fs.readdirSync(datasetsDir).filter((name) => name.endsWith('.jsonl') && name !== 'edge_cases.jsonl')];
    // Lines whose bytes the decoded text hides: one that is not UTF-8 (0xff in a string), one that starts with a byte order mark.
    const [first] = fs.readFileSync(fixture('llava_cot.jsonl'), 'utf8').split('\n');
    const invalid = Buffer.from(first.replace('"conversations"', '"note": "\u0000", "conversations"'));
    invalid[invalid.indexOf(0)] = 0xff;
    const marked = Buffer.from(`\uFEFF${first}\n`);
    const sources = [...names.map((name) => fs.readFileSync(fixture(name))), invalid, marked];
    const bytes = Buffer.concat(sources.flatMap((part) => [part, Buffer.from('\n')]));
    const file = path.join(datasetsDir, `range-stats-${process.pid}.jsonl`);
    fs.writeFileSync(file, bytes);
    try {
      const expected = JSON.parse(JSON.stringify(datasetStats(Dataset.fromBytes(path.basename(file), bytes), checkContext(file, undefined, undefined))));
      assert.ok(expected.checks.encoding > 0, 'the line that is not UTF-8 is reported');
      for (const blockBytes of [1, 700, 64 * 1024]) {
        const { stats } = await tallyRange(file, 0, bytes.length, { imageRoots: [], blockBytes });
        assert.deepEqual(JSON.parse(JSON.stringify(stats)), expected, `blocks of ${blockBytes} bytes`);
      }
      // A range from inside the file: its first bytes are a line's, counted as in the whole file.
      const cut = bytes.indexOf(0x0a, bytes.length >> 1) + 1;
      const [head, tail] = await Promise.all([
        tallyRange(file, 0, cut, { imageRoots: [] }),
        tallyRange(file, cut, bytes.length, { imageRoots: [], blockBytes: 500 }),
      ]);
      assert.deepEqual(JSON.parse(JSON.stringify(mergeStatsParts(path.basename(file), [head, tail]))), expected);
      // The file's byte order mark alone on its first line leaves that line blank: no record.
      const markOnly = Buffer.concat([Buffer.from('\uFEFF\r\n'), bytes.subarray(3)]);
      fs.writeFileSync(file, markOnly);
      const { stats } = await tallyRange(file, 0, markOnly.length, { imageRoots: [] });
      assert.deepEqual(JSON.parse(JSON.stringify(stats)), { ...expected, lines: expected.lines + 1 });
    } finally {
      fs.rmSync(file);
    }
  });
});

describe('cot-studio export', () => {
  it('writes the target format, lists refusals with their line and exits 1 when any record is refused', async () => {
    const dir = scratchFolder('cot-studio-cli-');
    const output = path.join(dir, 'out.jsonl');
    const { code, stdout, stderr } = await run('export', fixture('mulberry.jsonl'), '--format', 'mulberry', '-o', output);
    assert.equal(code, 1);
    assert.match(stderr, /mulberry\.jsonl:6: not exported: /);
    assert.match(stdout, /^5 mulberry lines written/);
    assert.equal(fs.readFileSync(output, 'utf8').trim().split('\n').length, 5);
    const clean = await run('export', fixture('mmpr.jsonl'), '--format', 'mmpr', '-o', path.join(dir, 'pairs.jsonl'));
    assert.equal(clean.code, 0);
    assert.ok(fs.existsSync(path.join(dir, 'meta.json')));
    assert.equal((await run('export', fixture('mmpr.jsonl'), '--format', 'csv', '-o', output)).code, 2);
  });
});

describe('cot-studio output on a pipe', () => {
  it('reaches the reader whole before the command exits, however much there is', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-pipe-'));
    try {
      // Far more refusal lines than a pipe holds (64 KB): an exit right after writing them would cut them off.
      const records = Array.from({ length: 600 }, (_, index) => JSON.stringify({ unknown: index }));
      const file = path.join(dir, 'unknown.jsonl');
      fs.writeFileSync(file, `${records.join('\n')}\n`);
      const { code, stdout, stderr } = await runCli('export', file, '--format', 'trl-sft', '-o', path.join(dir, 'out.jsonl'));
      assert.equal(code, 1);
      assert.ok(stderr.length > 64 * 1024, `${stderr.length} bytes of refusals`);
      assert.equal(stderr.trim().split('\n').length, records.length);
      assert.match(stderr.trim().split('\n').at(-1) ?? '', /unknown\.jsonl:600: not exported: unknown format/);
      assert.match(stdout, /^0 trl-sft lines written/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
