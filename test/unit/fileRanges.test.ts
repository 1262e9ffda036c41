import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { lineRanges } from '../../src/dataset/stats/fileRanges';
import { FileSource } from '../../src/files/byteSource';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-ranges-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function rangesOf(content: Buffer, count: number): Buffer[] {
  const file = path.join(scratch, `f-${count}-${content.length}.jsonl`);
  fs.writeFileSync(file, content);
  const source = FileSource.open(file);
  try {
    return lineRanges(source.fd, content.length, count).map(([start, end]) => Buffer.from(source.read(start, end)));
  } finally {
    source.close();
  }
}

describe('cutting a file into ranges of whole lines', () => {
  it('covers the file exactly, each cut just after a newline, for any number of ranges', () => {
    // Lines longer than the search window, CRLF endings, a blank line and no final newline.
    const lines = Array.from({ length: 40 }, (_, i) => `{"i": ${i}, "t": "${'é'.repeat((i * 7919) % 90_000)}"}${i % 4 === 0 ? '\r' : ''}`);
    lines[17] = '';
    const content = Buffer.from(lines.join('\n'));
    for (const count of [1, 2, 3, 7, 64]) {
      const pieces = rangesOf(content, count);
      assert.ok(Buffer.concat(pieces).equals(content), `${count} ranges join back into the file`);
      assert.ok(pieces.length <= count && pieces.length >= 1);
      pieces.slice(0, -1).forEach((piece) => {
        assert.equal(piece.at(-1), 0x0a, 'a range ends with its last line ending');
      });
    }
  });

  it('keeps a file of one line whole', () => {
    const content = Buffer.from(`{"t": "${'x'.repeat(200_000)}"}`);
    assert.deepEqual(
      rangesOf(content, 4).map((piece) => piece.length),
      [content.length],
    );
  });
});
