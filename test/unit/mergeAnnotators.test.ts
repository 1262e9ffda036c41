import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { readRecordState } from '../../src/dataset/operations';
import type { Operation } from '../../src/protocol';
import { annotate, mulberryLines, rate, signed } from '../harness/annotating';
import { runCli } from '../harness/cli';
import { scratchFolder } from '../harness/scratch';

const scratch = scratchFolder('cot-studio-merge-annotators-');

/** 12 Mulberry records with ids written into their lines as they are, and a line that is no record. */
const records = Array.from({ length: 12 }, (_, i) => `{"id": "r${i}", ${(mulberryLines(6)[i % 6] as string).slice(1)}`);
const original = [...records.slice(0, 4), 'not a record', ...records.slice(4)];

let folders = 0;
/** data.jsonl split between the annotators named, in a folder of its own; returns the dataset and each annotator's file. */
async function splitFor(names: string[], overlap = '0.25'): Promise<{ data: string; files: string[] }> {
  const folder = path.join(scratch, String(folders++));
  fs.mkdirSync(folder);
  const data = path.join(folder, 'data.jsonl');
  fs.writeFileSync(data, `${original.join('\n')}\n`);
  const run = await runCli('split', data, '--names', names.join(','), '--overlap', overlap, '--seed', '4', '--json');
  assert.equal(run.code, 0, run.stderr);
  return { data, files: (JSON.parse(run.stdout) as { files: Array<{ file: string }> }).files.map(({ file }) => file) };
}

const idOf = (line: string): string | undefined => /^\{"id": "(r\d+)"/.exec(line)?.[1];
const linesOf = (file: string): string[] => fs.readFileSync(file, 'utf8').split('\n').slice(0, -1);
const idsIn = (file: string): string[] => linesOf(file).flatMap((line) => idOf(line) ?? []);

/** The record an annotator's file holds that the others' do not (own: true), or one they all hold. */
function recordOf(files: string[], index: number, own: boolean): string {
  const others = files.filter((_, i) => i !== index).map(idsIn);
  const found = idsIn(files[index] as string).find((id) => others.every((ids) => ids.includes(id) !== own));
  assert.ok(found, `annotator ${index + 1} has ${own ? 'a record of their own' : 'a shared record'}`);
  return found;
}

/** An annotator's work: operations applied to one record of their file, the rest left as split wrote it. */
function work(file: string, id: string, ...operations: Operation[]): void {
  fs.writeFileSync(
    file,
    `${linesOf(file)
      .map((line) => (idOf(line) === id ? annotate(line, ...operations) : line))
      .join('\n')}\n`,
  );
}

interface Merged {
  output: string;
  changed: number;
  added: number;
  conflicts: number;
  conflictedLines: number[];
}

async function merge(data: string, files: string[], ...options: string[]): Promise<{ code: number; merged: Merged; lines: string[] }> {
  const run = await runCli('merge', data, ...files, '--json', ...options);
  assert.ok(run.code === 0 || run.code === 1, run.stderr);
  const merged = JSON.parse(run.stdout) as Merged;
  return { code: run.code, merged, lines: linesOf(merged.output) };
}

const recordLine = (lines: string[], id: string): string => lines.find((line) => idOf(line) === id) as string;
const ratings = (line: string, ...segments: number[]) => segments.map((segment) => readRecordState(line).annotations.segments[String(segment)]?.rating);

describe('cot-studio merge of annotators’ files', () => {
  it('brings two annotators’ work on different records together, every other line byte for byte, exit 0', async () => {
    const { data, files } = await splitFor(['alice', 'bob']);
    const alices = recordOf(files, 0, true);
    const bobs = recordOf(files, 1, true);
    work(files[0] as string, alices, rate(0, 1), rate(1, -1));
    work(files[1] as string, bobs, rate(2, 0));
    const { code, merged, lines } = await merge(data, files);
    assert.equal(code, 0);
    assert.equal(merged.output, path.join(path.dirname(data), 'data.merged.jsonl'));
    assert.deepEqual([merged.changed, merged.added, merged.conflicts], [2, 0, 0]);
    assert.deepEqual(ratings(recordLine(lines, alices), 0, 1), [1, -1]);
    assert.deepEqual(ratings(recordLine(lines, bobs), 2), [0]);
    assert.equal(lines.length, original.length);
    for (const [i, line] of original.entries()) {
      if (idOf(line) !== alices && idOf(line) !== bobs) assert.equal(lines[i], line, `line ${i + 1} keeps its bytes and place`);
    }
  });

  it('keeps two ratings of one step of a shared record as a conflict naming both annotators, exit 1', async () => {
    const { data, files } = await splitFor(['alice', 'bob']);
    const shared = recordOf(files, 0, false);
    work(files[0] as string, shared, rate(2, 1), rate(0, 1));
    work(files[1] as string, shared, rate(2, -1), rate(1, 0));
    const run = await runCli('merge', data, ...files);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /1 conflicts in 1 records \(lines \d+\)/);
    const { merged, lines } = await merge(data, files, '--output', path.join(path.dirname(data), 'adjudicate.jsonl'));
    assert.equal(merged.output, path.join(path.dirname(data), 'adjudicate.jsonl'));
    const at = lines.findIndex((line) => idOf(line) === shared);
    assert.deepEqual(merged.conflictedLines, [at + 1]);
    assert.equal(merged.conflicts, 1);
    const { annotations } = readRecordState(lines[at] as string);
    assert.deepEqual(annotations.conflicts, [{ path: 'segments.2.rating', ours: 1, theirs: -1, oursBy: 'alice', theirsBy: 'bob' }]);
    assert.deepEqual(ratings(lines[at] as string, 0, 1), [1, 0], 'the steps only one of them rated merge cleanly');
  });

  it('names the raters as their records do when the editor signed the ratings', async () => {
    const { data, files } = await splitFor(['alice', 'bob']);
    const shared = recordOf(files, 0, false);
    const signedWork = (file: string, name: string, rating: 1 | -1) =>
      fs.writeFileSync(
        file,
        `${linesOf(file)
          .map((line) => (idOf(line) === shared ? signed(annotate(line, rate(2, rating)), name) : line))
          .join('\n')}\n`,
      );
    signedWork(files[0] as string, 'Alice Liddell', 1);
    signedWork(files[1] as string, 'Bob Dylan', -1);
    const { code, lines } = await merge(data, files);
    assert.equal(code, 1);
    const { conflicts } = readRecordState(recordLine(lines, shared)).annotations;
    assert.deepEqual(
      conflicts?.map(({ oursBy, theirsBy }) => [oursBy, theirsBy]),
      [['Alice Liddell', 'Bob Dylan']],
    );
  });

  it('merges three annotators: a rating two of them gave alike is no conflict, the third’s is one', async () => {
    const { data, files } = await splitFor(['ann', 'ben', 'cat'], '0.2');
    const shared = recordOf(files, 0, false);
    const own = files.map((_, i) => recordOf(files, i, true));
    for (const [i, file] of files.entries()) {
      work(file, shared, rate(0, i === 2 ? -1 : 1));
      work(file, own[i] as string, rate(1, 1));
    }
    const { code, merged, lines } = await merge(data, files);
    assert.equal(code, 1);
    assert.deepEqual([merged.changed, merged.conflicts], [4, 1]);
    for (const id of own) assert.deepEqual(ratings(recordLine(lines, id as string), 1), [1], `${id} keeps its annotator's rating`);
    const { annotations } = readRecordState(recordLine(lines, shared));
    assert.deepEqual(annotations.conflicts, [{ path: 'segments.0.rating', ours: 1, theirs: -1, oursBy: 'ann', theirsBy: 'cat' }]);
    assert.equal(annotations.segments['0']?.ratedBy, 'ann');
  });

  it('round trip: split, annotate some, merge gives the original wherever nobody annotated, a record missing from a file is not deleted', async () => {
    const { data, files } = await splitFor(['alice', 'bob']);
    const untouched = await merge(data, files);
    assert.equal(untouched.code, 0);
    assert.equal(fs.readFileSync(untouched.merged.output, 'utf8'), fs.readFileSync(data, 'utf8'), 'nothing annotated: the original, byte for byte');
    const alices = recordOf(files, 0, true);
    work(files[0] as string, alices, rate(0, -1));
    fs.writeFileSync(
      files[1] as string,
      `${linesOf(files[1] as string)
        .slice(1)
        .join('\n')}\n`,
    );
    const { code, merged, lines } = await merge(data, files);
    assert.equal(code, 0);
    assert.equal(merged.changed, 1);
    assert.deepEqual(lines.map(idOf), original.map(idOf), "the original's records, in its order");
    for (const [i, line] of original.entries()) if (idOf(line) !== alices) assert.equal(lines[i], line, `line ${i + 1}`);
  });

  it('refuses a file that is not UTF-8 throughout, whose bytes a merge would change, writing nothing', async () => {
    const { data, files } = await splitFor(['alice', 'bob']);
    fs.appendFileSync(data, Buffer.from([0x6e, 0xff, 0x0a]));
    const run = await runCli('merge', data, ...files);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /data\.jsonl is not UTF-8 throughout/);
    assert.equal(fs.existsSync(path.join(path.dirname(data), 'data.merged.jsonl')), false);
  });

  it('exits 2 for bad usage', async () => {
    const { data, files } = await splitFor(['alice', 'bob']);
    const cases: Array<[string[], RegExp]> = [
      [[data], /give ORIGINAL and one or more annotators' files/],
      [[data, ...files, '--names', 'alice'], /--names needs 2 names/],
      [[data, ...files, '--names', 'alice,alice'], /different names/],
      [[data, ...files, '--output', data], /is the input/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli('merge', ...args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
    assert.equal(fs.existsSync(path.join(path.dirname(data), 'data.merged.jsonl')), false);
  });
});
