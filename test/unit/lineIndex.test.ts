import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineIndex } from '../../src/dataset';
import { indexBytes, WORKER_THRESHOLD_BYTES, warmIndexWorker } from '../../src/dataset/indexWorker';

const bytes = (text: string) => new TextEncoder().encode(text);

function lines(text: string): string[] {
  const source = bytes(text);
  const index = LineIndex.build(source);
  return Array.from({ length: index.lineCount }, (_, line) => {
    const { start, end } = index.range(line);
    return new TextDecoder().decode(source.subarray(start, end));
  });
}

describe('LineIndex', () => {
  it('splits LF lines and treats a final newline as the end of the last line', () => {
    assert.deepEqual(lines('a\nbb\nccc\n'), ['a', 'bb', 'ccc']);
  });

  it('keeps a last line that has no newline', () => {
    assert.deepEqual(lines('a\nb'), ['a', 'b']);
  });

  it('leaves the carriage return of CRLF lines out of the content, per line', () => {
    assert.deepEqual(lines('a\r\nb\nc\r\n'), ['a', 'b', 'c']);
  });

  it('keeps blank lines as lines', () => {
    assert.deepEqual(lines('a\n\n\nb\n'), ['a', '', '', 'b']);
  });

  it('has no lines for an empty file and one empty line for a lone newline', () => {
    assert.equal(LineIndex.build(bytes('')).lineCount, 0);
    assert.deepEqual(lines('\n'), ['']);
  });

  it('rejects a line number outside the file with the 1-based range', () => {
    const index = LineIndex.build(bytes('a\nb\n'));
    assert.throws(() => index.range(2), /line 3 is outside 1\.\.2/);
  });
});

describe('indexing a large file on a worker thread', () => {
  it('gives the index an in-process scan gives, with one worker kept warm for the next file', async () => {
    // Two files past the size that goes to a worker, with CRLF and LF lines and no final newline.
    const files = [0, 1].map((seed) => {
      const line = `{"id": ${seed}, "text": "${'x'.repeat(200 + seed)}"}`;
      return bytes(Array.from({ length: Math.ceil(WORKER_THRESHOLD_BYTES / line.length) + 10 }, (_, i) => line + (i % 3 === 0 ? '\r' : '')).join('\n'));
    });
    warmIndexWorker();
    for (const file of files) {
      const expected = LineIndex.build(file);
      const { bytes: returned, index } = await indexBytes(file.slice());
      assert.ok(Buffer.from(returned).equals(Buffer.from(file)), 'the bytes come back unchanged');
      assert.equal(index.lineCount, expected.lineCount);
      for (const line of [0, 1, 2, index.lineCount - 1]) assert.deepEqual(index.range(line), expected.range(line));
    }
  });
});
