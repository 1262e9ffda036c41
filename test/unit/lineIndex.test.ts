import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineIndex } from '../../src/dataset';

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
