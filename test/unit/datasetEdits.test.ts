import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Dataset, indexBytes, LineIndex } from '../../src/dataset';
import { atomicWrite } from '../../src/files/atomicWrite';
import { setValue } from '../../src/dataset/recordEdit';
import { rawOffset } from '../../src/dataset/stringLiteral';
import { datasetsDir } from '../harness/fixtures';
import { collectChunks } from '../../src/files/byteSource';
import { scratchFolder } from '../harness/scratch';

const fixtures = fs.readdirSync(datasetsDir).filter((name) => name.endsWith('.jsonl'));

function bytesOf(dataset: Dataset): Promise<Buffer> {
  return collectChunks(dataset.chunks());
}

describe('Dataset bytes', () => {
  it('writes every fixture back byte for byte when nothing changed', async () => {
    for (const name of fixtures) {
      const original = fs.readFileSync(path.join(datasetsDir, name));
      assert.ok((await bytesOf(Dataset.fromBytes(name, original))).equals(original), name);
    }
  });

  it('changes only the edited line and keeps its CRLF ending, the BOM and the missing final newline', async () => {
    const original = fs.readFileSync(path.join(datasetsDir, 'edge_cases.jsonl'));
    const dataset = Dataset.fromBytes('edge_cases.jsonl', original);
    const before = dataset.lineText(0);
    dataset.setLineText(0, setValue(before, ['id'], 'edge-001-edited'));
    const written = await bytesOf(dataset);
    assert.ok(written.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), 'the BOM stays');
    const originalLines = original.toString('latin1').split('\n');
    const writtenLines = written.toString('latin1').split('\n');
    assert.equal(writtenLines.length, originalLines.length);
    assert.ok(writtenLines[0].endsWith('\r'), 'the first line keeps its CRLF');
    assert.notEqual(writtenLines[0], originalLines[0]);
    for (let i = 1; i < originalLines.length; i++) assert.equal(writtenLines[i], originalLines[i], `line ${i + 1} is untouched`);
    assert.equal(written.at(-1) === 0x0a, original.at(-1) === 0x0a, 'the final newline is as it was');
  });

  it('keeps number spellings and escapes elsewhere in an edited record', () => {
    const line = '{"id": "x", "big": 1e300, "price": 1.50, "s": "caf\\u00e9 \\"q\\"", "conversations": [{"from": "gpt", "value": "old"}]}';
    const edited = setValue(line, ['conversations', 0, 'value'], 'new');
    assert.equal(edited, line.replace('"old"', '"new"'));
  });

  it('setting a line back to its original text clears the change', () => {
    const dataset = Dataset.fromBytes('mmpr.jsonl', fs.readFileSync(path.join(datasetsDir, 'mmpr.jsonl')));
    const original = dataset.lineText(1);
    dataset.setLineText(1, setValue(original, ['question'], 'Q'));
    assert.equal(dataset.isChanged, true);
    dataset.apply([{ line: 1, before: dataset.lineText(1), after: original }], 'forward');
    assert.equal(dataset.isChanged, false);
    assert.deepEqual(dataset.changes(), []);
  });

  it('refuses a change whose line no longer reads as expected', () => {
    const dataset = Dataset.fromBytes('mmpr.jsonl', fs.readFileSync(path.join(datasetsDir, 'mmpr.jsonl')));
    assert.throws(() => dataset.apply([{ line: 0, before: 'something else', after: '{}' }], 'forward'), /line 1 is not what this change expects/);
    assert.throws(() => dataset.setLineText(0, '{}\n{}'), /must stay on one line/);
  });

  it('reapplies changes that fit and returns the ones that do not', async () => {
    const bytes = Buffer.from('{"a": 1}\n{"b": 2}\n\n{"c": 3}\n');
    const dataset = Dataset.fromBytes('x.jsonl', bytes);
    const conflicts = dataset.reapply([
      { line: 0, before: '{"a": 1}', after: '{"a": 10}' },
      { line: 1, before: '{"b": 20}', after: '{"b": 200}' },
      { line: 2, before: '', after: '{"blank": true}' },
      { line: 9, before: '{}', after: '{"far": true}' },
    ]);
    assert.deepEqual(
      conflicts.map((c) => c.line),
      [1, 2, 9],
    );
    assert.equal((await bytesOf(dataset)).toString(), '{"a": 10}\n{"b": 2}\n\n{"c": 3}\n');
  });

  it('maps lines to records around blank lines', () => {
    const dataset = Dataset.fromBytes('x.jsonl', Buffer.from('{"a": 1}\n\n{"b": 2}\n'));
    assert.equal(dataset.recordCount, 2);
    assert.equal(dataset.recordIndexOfLine(0), 0);
    assert.equal(dataset.recordIndexOfLine(1), -1);
    assert.equal(dataset.recordIndexOfLine(2), 1);
    assert.equal(dataset.recordLine(1), 2);
  });
});

describe('offsets in a JSON string literal', () => {
  it('count each escape, either half of an escaped surrogate pair included, as the one code unit it decodes to', () => {
    const body = 'a\\u00b2\\/caf\\u00e9 é \\ud83d\\ude00 😀 \\"q\\"\\n\\\\z';
    const decoded = JSON.parse(`"${body}"`) as string;
    assert.equal(decoded, 'a²/café é 😀 😀 "q"\n\\z');
    for (let offset = 0; offset <= decoded.length; offset++) {
      assert.equal(JSON.parse(`"${body.slice(0, rawOffset(body, offset))}"`), decoded.slice(0, offset), `offset ${offset}`);
    }
    assert.throws(() => rawOffset(body, decoded.length + 1), RangeError);
  });
});

describe('line index on a worker thread', () => {
  it('matches the in-thread index for a file over the worker threshold', async () => {
    const line = `${JSON.stringify({ text: 'x'.repeat(1000) })}\r\n`;
    const big = Buffer.from(`${line.repeat(5000)}{"last": true}`);
    const expected = LineIndex.build(big);
    const { bytes, index } = await indexBytes(Buffer.from(big));
    assert.ok(Buffer.from(bytes).equals(big));
    assert.equal(index.lineCount, expected.lineCount);
    for (const probe of [0, 1, 2500, index.lineCount - 1]) assert.deepEqual(index.range(probe), expected.range(probe));
    const dataset = await Dataset.load('big.jsonl', Buffer.from(big));
    assert.equal(dataset.recordCount, 5001);
    assert.ok((await bytesOf(dataset)).equals(big));
  });
});

describe('atomicWrite', () => {
  it('replaces the file, keeps its mode and leaves no temporary file', async () => {
    const dir = scratchFolder('cot-studio-write-');
    const target = path.join(dir, 'data.jsonl');
    fs.writeFileSync(target, 'old\n', { mode: 0o640 });
    await atomicWrite(target, [Buffer.from('new '), Buffer.from('content\n')]);
    assert.equal(fs.readFileSync(target, 'utf8'), 'new content\n');
    assert.equal(fs.statSync(target).mode & 0o777, 0o640);
    assert.deepEqual(fs.readdirSync(dir), ['data.jsonl']);
  });

  it('leaves the old file in place when writing fails', async () => {
    const dir = scratchFolder('cot-studio-write-');
    const target = path.join(dir, 'data.jsonl');
    fs.writeFileSync(target, 'old\n');
    function* failing(): Generator<Uint8Array> {
      yield Buffer.from('partial');
      throw new Error('disk full');
    }
    await assert.rejects(atomicWrite(target, failing()), /disk full/);
    assert.equal(fs.readFileSync(target, 'utf8'), 'old\n');
    assert.deepEqual(fs.readdirSync(dir), ['data.jsonl']);
  });
});
