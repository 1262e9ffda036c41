import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { mulberryLines } from '../harness/annotating';
import { runCli } from '../harness/cli';
import { scratchFolder } from '../harness/scratch';

const scratch = scratchFolder('cot-studio-split-');
const RECORDS = 30;

/** 30 Mulberry records told apart by an id written into each line as it is, and a line that is no record (and no UTF-8). */
const notRecord = Buffer.from([0x6e, 0x6f, 0xff, 0x0d]);
const records = Array.from({ length: RECORDS }, (_, i) => Buffer.from(`{"id": "r${i}", ${(mulberryLines(6)[i % 6] as string).slice(1)}`));
const datasetLines = [...records.slice(0, 10), notRecord, ...records.slice(10)];

let folders = 0;
/** A folder holding data.jsonl. */
function dataset(): string {
  const folder = path.join(scratch, String(folders++));
  fs.mkdirSync(folder);
  fs.writeFileSync(path.join(folder, 'data.jsonl'), Buffer.concat(datasetLines.flatMap((line) => [line, Buffer.from('\n')])));
  return path.join(folder, 'data.jsonl');
}

/** A file's lines as bytes. */
function linesOf(file: string): Buffer[] {
  const bytes = fs.readFileSync(file);
  const lines: Buffer[] = [];
  for (let start = 0, end = bytes.indexOf(0x0a); end !== -1; start = end + 1, end = bytes.indexOf(0x0a, start)) lines.push(bytes.subarray(start, end));
  return lines;
}

interface Summary {
  seed: number;
  records: number;
  shared: number;
  notRecords: number;
  files: Array<{ name: string; file: string; records: number; shared: number }>;
}

async function split(file: string, ...options: string[]): Promise<Summary> {
  const run = await runCli('split', file, '--json', ...options);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as Summary;
}

/** Each output's lines as the dataset's line numbers (0-based), checking each is one of its lines byte for byte. */
const positions = (summary: Summary): number[][] =>
  summary.files.map(({ file }) =>
    linesOf(file).map((line) => {
      const at = datasetLines.findIndex((each) => each.equals(line));
      assert.notEqual(at, -1, `${file}: a line that is not the dataset's, byte for byte: ${line.toString()}`);
      return at;
    }),
  );

describe('cot-studio split', () => {
  it('deals the records out the same for a seed and otherwise for another', async () => {
    const file = dataset();
    const first = positions(await split(file, '--annotators', '3', '--seed', '11'));
    const again = positions(await split(file, '--annotators', '3', '--seed', '11', '--force'));
    assert.deepEqual(again, first);
    const other = positions(await split(file, '--annotators', '3', '--seed', '12', '--force'));
    assert.notDeepEqual(other, first);
  });

  it('gives everyone the overlap, round(overlap x records), and each other record to one annotator, in file order', async () => {
    const file = dataset();
    const summary = await split(file, '--annotators', '3', '--overlap', '0.25', '--seed', '5');
    assert.equal(summary.records, RECORDS);
    assert.equal(summary.shared, Math.round(0.25 * RECORDS));
    const shares = positions(summary);
    const inEvery = shares[0]?.filter((line) => shares.every((share) => share.includes(line))) ?? [];
    assert.equal(inEvery.length, 8, 'round(0.25 x 30) records in every file');
    for (const [i, share] of shares.entries()) {
      assert.deepEqual(
        share,
        [...share].sort((a, b) => a - b),
        `annotator ${i + 1} keeps the file's order`,
      );
      assert.equal(new Set(share).size, share.length);
      assert.equal(summary.files[i]?.records, share.filter((line) => line !== 10).length);
    }
    const counts = new Map<number, number>();
    for (const line of shares.flat()) counts.set(line, (counts.get(line) ?? 0) + 1);
    assert.deepEqual(
      [...counts.keys()].sort((a, b) => a - b),
      datasetLines.map((_, i) => i),
      'together the files hold every line',
    );
    for (const [line, count] of counts) assert.equal(count, inEvery.includes(line) ? 3 : 1, `line ${line + 1}: in one file, or in all when shared`);
    assert.deepEqual(
      shares.map((share) => share.includes(10)),
      [true, false, false],
      'the line that is no record goes to the first annotator',
    );
    assert.equal(summary.notRecords, 1);
    assert.equal(summary.files.reduce((sum, share) => sum + share.records - share.shared, 0) + summary.shared, RECORDS);
  });

  it('names the files for --names, in --output-dir, and an overlap of 0 or 1 gives disjoint or whole shares', async () => {
    const file = dataset();
    const out = path.join(path.dirname(file), 'out');
    fs.mkdirSync(out);
    const named = await split(file, '--names', 'alice,bob', '--overlap', '0', '--output-dir', out, '--seed', '1');
    assert.deepEqual(
      named.files.map((share) => share.file),
      [path.join(out, 'data.alice.jsonl'), path.join(out, 'data.bob.jsonl')],
    );
    const [alice, bob] = positions(named);
    assert.deepEqual(
      alice?.filter((line) => bob?.includes(line)),
      [],
    );
    const whole = positions(await split(file, '--names', 'alice,bob', '--overlap', '1', '--output-dir', out, '--force'));
    for (const share of whole)
      assert.deepEqual(
        share.filter((line) => line !== 10),
        records.map((_, i) => (i < 10 ? i : i + 1)),
      );
  });

  it('refuses to write over its outputs without --force, writing none of them', async () => {
    const file = dataset();
    await split(file, '--annotators', '2', '--seed', '3');
    const second = path.join(path.dirname(file), 'data.annotator2.jsonl');
    const first = path.join(path.dirname(file), 'data.annotator1.jsonl');
    fs.writeFileSync(second, 'kept\n');
    fs.rmSync(first);
    const refused = await runCli('split', file, '--annotators', '2', '--seed', '3');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /data\.annotator2\.jsonl exists; --force writes over it/);
    assert.equal(fs.readFileSync(second, 'utf8'), 'kept\n');
    assert.equal(fs.existsSync(first), false, 'nothing written when one output is refused');
    const forced = await runCli('split', file, '--annotators', '2', '--seed', '3', '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual(fs.readFileSync(second, 'utf8'), 'kept\n');
  });

  it('prints a summary per annotator', async () => {
    const file = dataset();
    const run = await runCli('split', file, '--names', 'alice,bob', '--seed', '9');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /30 records to 2 annotators, 6 of them to every one \(--overlap 0\.2\), seed 9/);
    assert.match(run.stdout, /alice: 18 records \(6 shared\)/);
    assert.match(run.stdout, /bob: 18 records \(6 shared\)/);
    assert.match(run.stdout, /1 line that is no record went to alice, as written/);
  });

  it('exits 2 naming the option for bad usage', async () => {
    const file = dataset();
    const cases: Array<[string[], RegExp]> = [
      [[], /--annotators N is required/],
      [['--annotators', '1'], /--annotators: expected a whole number from 2 to 1000/],
      [['--annotators', 'three'], /--annotators: expected a whole number/],
      [['--annotators', '2.5'], /--annotators: expected a whole number/],
      [['--annotators', '2', '--overlap', '1.5'], /--overlap/],
      [['--annotators', '2', '--overlap', 'some'], /--overlap/],
      [['--annotators', '2', '--seed=-1'], /--seed: /],
      [['--annotators', '2', '--seed', '2147483649'], /--seed: /],
      [['--annotators', '3', '--names', 'alice,bob'], /--names must give one name per annotator/],
      [['--names', 'alice,alice'], /--names must differ/],
      [['--names', 'alice,../bob'], /--names/],
      [['--annotators', '2', '--output-dir', path.join(scratch, 'missing')], /--output-dir/],
      [['--annotators', '2', '--shuffle'], /--shuffle/],
    ];
    for (const [options, message] of cases) {
      const run = await runCli('split', file, ...options);
      assert.equal(run.code, 2, `${options.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message, options.join(' '));
    }
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['data.jsonl'], 'nothing written');
  });
});
