import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { type CheckContext, type CheckResult, checkLine } from '../../src/dataset/checks';
import { Dataset } from '../../src/dataset';
import { WORKER_THRESHOLD_BYTES } from '../../src/dataset/indexWorker';
import { applyOperation } from '../../src/dataset/operations';
import { findInvalidUtf8 } from '../../src/dataset/utf8';
import { checkDatasetLine, datasetStats, datasetStatsSchema } from '../../src/dataset/validate';
import { exportDatasetRecords, exportOptionsSchema } from '../../src/export';
import { runCli } from '../harness/cli';
import { collectChunks } from '../../src/files/byteSource';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-integrity-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const everywhere: CheckContext = { imageProblem: () => null };
const context = { at: '2026-11-24T00:00:00.000Z', reflectionPhrase: 'Let me rethink it.' };

/** A TRL preference record: no images, so the only finding of a clean one is none. */
const record = (id: number, prompt = `What is ${id} + ${id}?`) =>
  JSON.stringify({ prompt, chosen: `The answer is ${2 * id}.`, rejected: `The answer is ${2 * id + 1}.` });

/** Three records; the second one's prompt holds a lone 0xFF byte after `é` (two bytes) and a real U+FFFD (three). */
function fileWithBadByte(): { bytes: Buffer; badLine: Buffer; badByte: number } {
  const [before, after] = record(2, 'What is é\uFFFD@ + 2?').split('@');
  const badLine = Buffer.concat([Buffer.from(before), Buffer.from([0xff]), Buffer.from(after)]);
  const bytes = Buffer.concat([Buffer.from(`${record(1)}\n`), badLine, Buffer.from(`\n${record(3)}\n`)]);
  return { bytes, badLine, badByte: Buffer.byteLength(before) };
}

function write(name: string, bytes: Buffer | string): string {
  const file = path.join(scratch, name);
  fs.writeFileSync(file, bytes);
  return file;
}

const bytesOf = (dataset: Dataset): Promise<Buffer> => collectChunks(dataset.chunks());

describe('findInvalidUtf8', () => {
  it('finds the first ill-formed byte past real U+FFFD characters, and where the text shows it', () => {
    const { badLine, badByte } = fileWithBadByte();
    const text = badLine.toString('utf8');
    const found = findInvalidUtf8(badLine);
    assert.deepEqual(found, { byte: badByte, value: 0xff, column: text.indexOf('\uFFFD\uFFFD') + 1 });
    assert.equal(findInvalidUtf8(Buffer.from(record(1))), undefined);
    assert.equal(findInvalidUtf8(Buffer.from('\uFFFD é 😀')), undefined);
  });

  it('finds a sequence cut short, an overlong form and an encoded surrogate', () => {
    assert.deepEqual(findInvalidUtf8(Buffer.from([0x61, 0x62, 0xe2, 0x82])), { byte: 2, value: 0xe2, column: 2 });
    assert.deepEqual(findInvalidUtf8(Buffer.from([0x61, 0xc0, 0xaf])), { byte: 1, value: 0xc0, column: 1 });
    assert.deepEqual(findInvalidUtf8(Buffer.from([0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0x80])), { byte: 4, value: 0xed, column: 2 });
  });
});

describe('invalid UTF-8 in a line', () => {
  const { bytes, badByte } = fileWithBadByte();

  it('is an encoding error naming the field and the byte, its range on the U+FFFD the text shows', () => {
    const dataset = Dataset.fromBytes('bad.jsonl', bytes);
    const { line, results } = checkDatasetLine(dataset, 1, everywhere);
    assert.equal(line, 2);
    const [result] = results;
    assert.deepEqual([result.check, result.severity], ['encoding', 'error']);
    assert.match(result.message, new RegExp(`^prompt: invalid UTF-8 at byte ${badByte} of the line \\(0xff\\)`));
    assert.ok(result.range);
    assert.equal(dataset.lineText(1).slice(...result.range), '\uFFFD');
    assert.deepEqual(checkDatasetLine(dataset, 0, everywhere).results, []);
    assert.deepEqual(checkDatasetLine(dataset, 2, everywhere).results, []);
  });

  it('is counted by the stats as a record with an error', async () => {
    const stats = datasetStats(Dataset.fromBytes('bad.jsonl', bytes), everywhere);
    assert.equal(stats.checks.encoding, 1);
    assert.equal(stats.recordsWithErrors, 1);
  });

  it('is never rewritten: an edit of another field is refused and every byte stays', async () => {
    const dataset = Dataset.fromBytes('bad.jsonl', bytes);
    const before = dataset.lineText(1);
    const { text } = applyOperation(before, { kind: 'editSegment', line: 2, segment: 0, text: 'The answer is four.' }, context);
    assert.ok(text.includes('The answer is four.') && text.includes('\uFFFD'), 'the edit itself only sees the decoded text');
    const refusal = new RegExp(`bad\\.jsonl:2: invalid UTF-8 at byte ${badByte} of the line \\(0xff\\); CoT Studio will not rewrite this line`);
    assert.throws(() => dataset.apply([{ line: 1, before, after: text }], 'forward'), refusal);
    assert.throws(() => dataset.setLineText(1, text), refusal);
    // A change of several lines that includes it changes none of them.
    assert.throws(
      () =>
        dataset.apply(
          [
            { line: 0, before: dataset.lineText(0), after: record(10) },
            { line: 1, before, after: text },
          ],
          'forward',
        ),
      refusal,
    );
    assert.equal(dataset.isChanged, false);
    assert.deepEqual(dataset.reapply([{ line: 1, before, after: text }]), [{ line: 1, before, after: text }]);
    assert.ok((await bytesOf(dataset)).equals(bytes));
    // An edit of another line leaves its bytes as they were.
    dataset.setLineText(2, record(30));
    assert.ok((await bytesOf(dataset)).equals(Buffer.concat([bytes.subarray(0, bytes.lastIndexOf(record(3))), Buffer.from(`${record(30)}\n`)])));
  });

  it('makes an export refuse the record and write the others', async () => {
    const output = path.join(scratch, 'bad-export.jsonl');
    const result = await exportDatasetRecords(
      Dataset.fromBytes('bad.jsonl', bytes),
      'trl-dpo',
      exportOptionsSchema.parse({ datasetDir: scratch, outputPath: output }),
    );
    assert.deepEqual(result.refusals, [{ line: 2, reason: `invalid UTF-8 at byte ${badByte} of the line (0xff); fix the bytes in a text editor` }]);
    assert.equal(result.written, 2);
    const written = fs.readFileSync(output, 'utf8').trim().split('\n');
    assert.equal(written.length, 2);
    assert.ok(written[0].includes('What is 1 + 1?') && written[1].includes('What is 3 + 3?'));
    assert.ok(!written.some((line) => line.includes('\uFFFD')));
  });
});

function only(results: CheckResult[], check: string): CheckResult[] {
  return results.filter((result) => result.check === check);
}

describe('records separated by CR alone', () => {
  it('says so, with the count and the way to convert the file', () => {
    const [result] = checkLine(`${[record(1), record(2), record(3)].join('\r')}\r`, everywhere).results;
    assert.equal(result.check, 'unparseable');
    assert.equal(
      result.message,
      "the line holds 3 records separated by carriage returns (CR) only; CoT Studio reads LF or CRLF line endings: convert the file with `tr '\\r' '\\n' < FILE > FILE.lf`",
    );
  });

  it('leaves a raw CR inside a string reported as the JSON error it is', () => {
    const [result] = checkLine('{"prompt":"a\rb","chosen":"c","rejected":"d"}', everywhere).results;
    assert.equal(result.check, 'unparseable');
    assert.match(result.message, /^not valid JSON: /);
  });
});

describe('duplicate-key', () => {
  it('warns of a key given twice, naming it and its path, the range on the repeat', () => {
    const line = '{"conversations":[{"from":"human","value":"first","value":"second"},{"from":"gpt","value":"answer"}],"id":"x","id":"y"}';
    const results = only(checkLine(line, everywhere).results, 'duplicate-key');
    assert.deepEqual(
      results.map(({ severity, message }) => [severity, message]),
      [
        ['warning', 'id: the key "id" is given 2 times in one object; JSON readers keep only the last value and drop the others unseen'],
        ['warning', 'conversations[0].value: the key "value" is given 2 times in one object; JSON readers keep only the last value and drop the others unseen'],
      ],
    );
    assert.deepEqual(
      results.map((result) => result.range && line.slice(...result.range)),
      ['"id"', '"value"'],
    );
    assert.equal(results[1].range?.[0], line.lastIndexOf('"value":"second"'));
  });

  it('finds a repeat spelled with spaces around the colon, and one behind an escaped backslash', () => {
    const spaced = '{ "prompt" : "q", "chosen" : "a", "rejected" : "b", "x\\\\" : 1, "x\\\\"\t:\t2 }';
    assert.deepEqual(
      only(checkLine(spaced, everywhere).results, 'duplicate-key').map((result) => result.message),
      ['x\\: the key "x\\\\" is given 2 times in one object; JSON readers keep only the last value and drop the others unseen'],
    );
  });

  it('finds none where colons follow quotes inside strings, or the same key stands in different objects', () => {
    const line = JSON.stringify({ prompt: 'He said "stop": then :) and \\": ', chosen: ':colon first', rejected: 'x', meta: { a: 1, b: { a: 2 } } });
    assert.deepEqual(only(checkLine(line, everywhere).results, 'duplicate-key'), []);
  });
});

describe('number-overflow', () => {
  it('is an error naming the field of each number JSON.parse reads as Infinity', () => {
    const long = '9'.repeat(400);
    const line = `{"prompt":"q","chosen":"a","rejected":"b","meta":{"scores":[1,1e400,-1E+400,1e308,1e-400,${long}],"big":1${'0'.repeat(220)}e99}}`;
    const results = only(checkLine(line, everywhere).results, 'number-overflow');
    assert.deepEqual(
      results.map(({ severity, message }) => [severity, message.split(' is beyond')[0]]),
      [
        ['error', 'meta.scores[1]: 1e400'],
        ['error', 'meta.scores[2]: -1E+400'],
        ['error', `meta.scores[5]: ${'9'.repeat(24)}… (400 characters)`],
        ['error', `meta.big: 1${'0'.repeat(23)}… (224 characters)`],
      ],
    );
    assert.match(results[0].message, /about 1\.8e308\): JSON readers see Infinity, and JSON writers write null$/);
    assert.equal(results[0].range && line.slice(...results[0].range), '1e400');
  });

  it('leaves large, small and exponent-looking text alone', () => {
    const line = JSON.stringify({ prompt: 'file1234.png e400', chosen: 'a', rejected: 'b', meta: { max: 1.7976931348623157e308, tiny: 1e-300 } });
    assert.deepEqual(only(checkLine(line, everywhere).results, 'number-overflow'), []);
  });
});

describe('the cot-studio commands on what JSON.parse hides', () => {
  const { bytes, badByte } = fileWithBadByte();
  const at = `invalid UTF-8 at byte ${badByte} of the line \\(0xff\\)`;

  it('validate names the line and byte of invalid UTF-8, and exits 1', async () => {
    const file = write('bad.jsonl', bytes);
    const { code, stdout } = await runCli('validate', file);
    assert.equal(code, 1);
    assert.match(stdout, new RegExp(`^${file.replace(/[.\\\\]/g, '\\$&')}:2:\\d+: error \\[encoding\\] prompt: ${at}: readers see U\\+FFFD there`, 'm'));
    assert.match(stdout, /3 records: 1 errors, 0 warnings\n$/);
  });

  it('export refuses that record and writes the others', async () => {
    const file = write('bad-export.jsonl', bytes);
    const output = path.join(scratch, 'bad-export.dpo.jsonl');
    const { code, stdout, stderr } = await runCli('export', file, '--format', 'trl-dpo', '-o', output);
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`bad-export\\.jsonl:2: not exported: ${at}; fix the bytes in a text editor`));
    assert.match(stdout, /^2 trl-dpo lines written/);
    assert.equal(fs.readFileSync(output, 'utf8').trim().split('\n').length, 2);
  });

  it('regenerate --write refuses the line before any search and leaves the file as it was', async () => {
    const file = write('bad-regenerate.jsonl', bytes);
    const { code, stderr } = await runCli(
      'regenerate',
      file,
      '--line',
      '2',
      '--segment',
      '0',
      '--write',
      '--endpoint',
      'http://127.0.0.1:9/v1',
      '--endpoint-model',
      'none',
    );
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`bad-regenerate\\.jsonl:2: ${at}; CoT Studio will not rewrite this line \\(fix the bytes in a text editor\\)`));
    assert.ok(fs.readFileSync(file).equals(bytes));
  });

  it('stats counts it, also when workers each read a range of a large file', async () => {
    const good = Buffer.from(`${[1, 3, 4, 5, 6, 7, 8, 9].map((id) => record(id)).join('\n')}\n`);
    const { badLine } = fileWithBadByte();
    const block = Buffer.concat([good, badLine, Buffer.from('\n')]);
    const copies = Math.ceil((WORKER_THRESHOLD_BYTES * 1.5) / block.length);
    const file = write('bad-large.jsonl', Buffer.concat(Array.from({ length: copies }, () => block)));
    const { code, stdout, stderr } = await runCli('stats', file, '--json');
    assert.equal(code, 1, stderr);
    const stats = datasetStatsSchema.parse(JSON.parse(stdout));
    assert.equal(stats.records, copies * 9);
    assert.equal(stats.checks.encoding, copies);
    assert.equal(stats.recordsWithErrors, copies);
  });

  it('validate says a file of CR-separated records is one, and reports a duplicate key and an overflowing number', async () => {
    const cr = write('old-mac.jsonl', [record(1), record(2)].join('\r'));
    const crRun = await runCli('validate', cr);
    assert.equal(crRun.code, 1);
    assert.match(
      crRun.stdout,
      /old-mac\.jsonl:1:1: error \[unparseable\] the line holds 2 records separated by carriage returns \(CR\) only; CoT Studio reads LF or CRLF line endings/,
    );
    const hidden = write('hidden.jsonl', '{"prompt":"q","chosen":"a","rejected":"b","score":1e400,"prompt":"r"}\n');
    const { code, stdout } = await runCli('validate', hidden);
    assert.equal(code, 1);
    assert.match(stdout, /hidden\.jsonl:1:\d+: warning \[duplicate-key\] prompt: the key "prompt" is given 2 times/);
    assert.match(stdout, /hidden\.jsonl:1:\d+: error \[number-overflow\] score: 1e400 is beyond the largest number a double holds/);
  });
});
