import * as assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { Dataset } from '../../src/dataset';
import { indexFile, scanUntil, WORKER_THRESHOLD_BYTES } from '../../src/dataset/indexWorker';
import { LineIndex, scanChunks } from '../../src/dataset/lineIndex';
import { findInvalidUtf8 } from '../../src/dataset/utf8';
import { atomicWrite } from '../../src/files/atomicWrite';
import { BufferSource, collectChunks, FileSource } from '../../src/files/byteSource';
import { seededRandom } from '../../src/random';
import { cliPath } from '../harness/cli';
import { datasetsDir } from '../harness/fixtures';

const execute = promisify(execFile);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-file-dataset-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

let written = 0;
function fileOf(bytes: Uint8Array): string {
  const file = path.join(scratch, `data-${written++}.jsonl`);
  fs.writeFileSync(file, bytes);
  return file;
}

/** The files of the scratch folder this process holds open: a dataset that is closed leaves none behind. */
function openFds(): number {
  const targets = fs.readdirSync('/proc/self/fd').map((fd) => {
    try {
      return fs.readlinkSync(path.join('/proc/self/fd', fd));
    } catch {
      return '';
    }
  });
  return targets.filter((target) => target.startsWith(scratch)).length;
}

const record = (index: number, text = 'a record'): string => JSON.stringify({ id: index, text });

/** Lines that test the scan: a BOM, CRLF, blank lines of every kind, a line far longer than a chunk, bytes that are not UTF-8. */
function shapes(): Record<string, Buffer> {
  const invalid = Buffer.from(record(3, 'café – naïve'));
  invalid[10] = 0xff;
  // A character cut short just before the line ending, and a lone continuation byte after a multibyte one.
  const cutShort = Buffer.concat([Buffer.from(record(4, 'ok')), Buffer.from([0xe2, 0x82])]);
  const stray = Buffer.concat([Buffer.from('{"t": "€'), Buffer.from([0x82]), Buffer.from('"}')]);
  const long = record(5, `${'日本語のテキスト '.repeat(12_000)}end`);
  const lf = (parts: (string | Buffer)[]) => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part)));
  return {
    bom: lf(['\uFEFF', record(0), '\n', record(1), '\n']),
    'bom only blank': lf(['\uFEFF  \n', record(1), '\n']),
    crlf: lf([record(0), '\r\n', record(1), '\r\n\r\n', record(2), '\r\n']),
    'no final newline': lf([record(0), '\n', record(1)]),
    'final carriage return': lf([record(0), '\n', record(1), '\r']),
    blank: lf(['\n\n', record(0), '\n \t\r\n\t\n\n', record(1), '\n\n']),
    'lone newline': lf(['\n']),
    empty: lf([]),
    'long line': lf([record(0), '\n', long, '\r\n', record(1), '\n', long]),
    'invalid utf-8': lf([record(0), '\n', invalid, '\n', cutShort, '\r\n', stray, '\n', record(6, '€ at the end €'), '\n', Buffer.from([0xc3])]),
    ...Object.fromEntries(
      fs
        .readdirSync(datasetsDir)
        .filter((name) => name.endsWith('.jsonl'))
        .map((name) => [name, fs.readFileSync(path.join(datasetsDir, name))]),
    ),
  };
}

/** What a dataset must say of these bytes, worked out line by line from a plain split, independently of the index. */
function expectedLines(bytes: Buffer): { texts: string[]; records: number[]; invalid: (number | undefined)[] } {
  if (bytes.length === 0) return { texts: [], records: [], invalid: [] };
  const pieces: Buffer[] = [];
  let start = 0;
  for (let newline = bytes.indexOf(0x0a); newline !== -1; newline = bytes.indexOf(0x0a, start)) {
    pieces.push(bytes.subarray(start, newline));
    start = newline + 1;
  }
  if (start < bytes.length) pieces.push(bytes.subarray(start));
  const hasBom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const contents = pieces.map((piece, line) => {
    const content = piece.at(-1) === 0x0d ? piece.subarray(0, -1) : piece;
    return line === 0 && hasBom ? content.subarray(3) : content;
  });
  return {
    texts: contents.map((content) => new TextDecoder().decode(content)),
    records: contents.flatMap((content, line) => (/^[ \t\r]*$/.test(content.toString('latin1')) ? [] : [line])),
    invalid: contents.map((content) => findInvalidUtf8(content)?.byte),
  };
}

async function assertReadsAs(dataset: Dataset, bytes: Buffer, label: string): Promise<void> {
  const expected = expectedLines(bytes);
  assert.equal(dataset.lineCount, expected.texts.length, `${label}: lines`);
  assert.deepEqual(
    Array.from({ length: dataset.recordCount }, (_, index) => dataset.recordLine(index)),
    expected.records,
    `${label}: record lines`,
  );
  expected.texts.forEach((text, line) => {
    assert.equal(dataset.lineText(line), text, `${label}: line ${line + 1}`);
    assert.equal(dataset.invalidUtf8(line)?.byte, expected.invalid[line], `${label}: UTF-8 of line ${line + 1}`);
  });
  assert.ok((await collectChunks(dataset.chunks())).equals(bytes), `${label}: written back byte for byte`);
}

/**
 * About 4 MB whose megabyte boundaries (where the scanner cuts a chunk into slices) fall inside a character,
 * between a CR and its LF, right after a character cut short, and inside a blank line.
 */
function acrossSlices(): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  const add = (...pieces: (string | number[])[]) => {
    for (const piece of pieces) {
      const bytes = typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece);
      parts.push(bytes);
      size += bytes.length;
    }
  };
  const line = (length: number) => `{"t": "${'x'.repeat(length - 9)}"}\n`.slice(0, length + 1);
  const fillTo = (target: number) => {
    while (target - size > 100_000) add(line(49_999));
    add(line(target - size - 1));
  };
  const megabyte = 1024 * 1024;
  fillTo(megabyte - 8);
  add('{"t": "€€€"}\n');
  fillTo(2 * megabyte - 12);
  add('{"t": "ab"}', '\r\n');
  fillTo(3 * megabyte - 9);
  add('{"t": "', [0xe2, 0x82], 'x"}\n');
  fillTo(4 * megabyte - 2);
  add('  ', ' \t\r\n', '{"t": "last"}\n');
  return Buffer.concat(parts);
}

describe('a dataset read from its file by handle', () => {
  it('reads lines, blank lines and UTF-8 across the slices a chunk is scanned in', async () => {
    const bytes = acrossSlices();
    const file = fileOf(bytes);
    await assertReadsAs(Dataset.fromBytes('across slices', bytes), bytes, 'across slices in memory');
    for (const chunkBytes of [3 * 1024 * 1024, 1024 * 1024 + 7, undefined]) {
      const dataset = await Dataset.open(file, chunkBytes === undefined ? {} : { chunkBytes });
      try {
        await assertReadsAs(dataset, bytes, `across slices in chunks of ${chunkBytes ?? 'the default size'}`);
        const invalid = Array.from({ length: dataset.lineCount }, (_, line) => dataset.invalidUtf8(line)).filter((found) => found !== undefined);
        assert.equal(invalid.length, 1, 'the character cut short at a boundary is found, and nothing else');
      } finally {
        dataset.close();
      }
    }
  });

  it('indexes every shape of file as the bytes held in memory read, with chunks of any size', async () => {
    for (const [name, bytes] of Object.entries(shapes())) {
      const file = fileOf(bytes);
      await assertReadsAs(Dataset.fromBytes(name, bytes), bytes, `${name} in memory`);
      for (const chunkBytes of [1, 2, 3, 5, 7, 64, 4096]) {
        const dataset = await Dataset.open(file, { chunkBytes });
        await assertReadsAs(dataset, bytes, `${name} in chunks of ${chunkBytes}`);
        dataset.close();
      }
    }
    assert.equal(openFds(), 0, 'every file was closed');
  });

  it('indexes a large file on a worker thread, reporting progress, with lines across chunk boundaries', async () => {
    const shaped = shapes();
    const parts: Buffer[] = [];
    for (let size = 0, turn = 0; size < WORKER_THRESHOLD_BYTES + 100_000; turn++) {
      const part = turn % 7 === 0 ? shaped['long line'] : turn % 5 === 0 ? shaped['invalid utf-8'] : Buffer.from(`${record(turn)}\r\n\n`);
      parts.push(part, Buffer.from('\n'));
      size += part.length + 1;
    }
    const bytes = Buffer.concat(parts);
    const file = fileOf(bytes);
    const progress: number[] = [];
    const dataset = await Dataset.open(file, { chunkBytes: 65_537, onProgress: (scanned) => progress.push(scanned) });
    await assertReadsAs(dataset, bytes, 'the large file');
    dataset.close();
    assert.ok(progress.length > 10, `${progress.length} progress reports`);
    assert.equal(progress.at(-1), bytes.length);
    assert.deepEqual(
      progress,
      [...progress].sort((a, b) => a - b),
      'progress only grows',
    );
  });

  it('scans the first chunks here while the worker starts, and the worker goes on from the line the last one ended inside', async () => {
    const shaped = shapes();
    const parts = Object.values(shaped).flatMap((part, turn) => [part, Buffer.from(turn % 2 === 0 ? '\r\n' : '\n')]);
    const bytes = Buffer.concat([...parts, ...parts]);
    const file = fileOf(bytes);
    const expected = LineIndex.build(bytes);
    const { invalid } = expectedLines(bytes);
    for (const chunkBytes of [5, 4096, 70_001]) {
      for (const chunksHere of [0, 1, 3, 40, Infinity]) {
        const label = `${chunksHere} chunks of ${chunkBytes} here`;
        const source = FileSource.open(file);
        try {
          const index = new LineIndex();
          let asked = 0;
          const rest = await scanUntil(
            source,
            { position: 0, line: 0, bomLength: 0 },
            chunkBytes,
            () => asked++ >= chunksHere,
            (lines) => index.append(lines),
          );
          assert.equal(index.lineCount, rest.line, `${label}: the rest starts after the lines handed on`);
          if (rest.position < bytes.length) {
            scanChunks(
              bytes.length,
              (position, length) => bytes.subarray(position, position + length),
              chunkBytes,
              isUtf8,
              (lines) => index.append(lines),
              rest,
            );
          }
          assert.ok(index.complete, label);
          // The index at once marks whole megabytes to check for UTF-8: it marks what this one does, and this one every line that is not UTF-8.
          assertSameIndex(expected, index, label);
          invalid.forEach((found, line) => {
            const { start, end } = expected.range(line);
            if (found !== undefined) assert.ok(index.mayBeInvalidUtf8(start, end), `${label}: line ${line + 1} is looked at`);
          });
        } finally {
          source.close();
        }
      }
    }
  });

  it('stops indexing when asked, and leaves no file open', async () => {
    const file = fileOf(Buffer.from(`${record(0, 'x'.repeat(1000))}\n`.repeat(WORKER_THRESHOLD_BYTES / 1000 + 10)));
    const controller = new AbortController();
    const opening = Dataset.open(file, { chunkBytes: 4096, signal: controller.signal, onProgress: () => controller.abort(new Error('closed by the user')) });
    await assert.rejects(opening, /closed by the user/);
    assert.equal(openFds(), 0);
    await assert.rejects(Dataset.open(path.join(scratch, 'missing.jsonl')), /ENOENT/);
    assert.equal(openFds(), 0);
  });

  it('refuses to read or save a file written in place since it was opened, rather than mix two versions', async () => {
    const bytes = Buffer.from(`${record(0)}\n${record(1)}\n`);
    const file = fileOf(bytes);
    const dataset = await Dataset.open(file);
    dataset.setLineText(0, record(0, 'edited'));
    fs.appendFileSync(file, `${record(2)}\n`);
    await assert.rejects(collectChunks(dataset.chunks()), /written by another program while it was open/);
    dataset.close();
    assert.throws(() => dataset.lineText(1), /was closed/);
  });
});

/** Two indexes read every line alike; `predicted` may mark more bytes to check for UTF-8 than `read`, never fewer. */
function assertSameIndex(predicted: LineIndex, read: LineIndex, label: string): void {
  assert.equal(predicted.lineCount, read.lineCount, `${label}: lines`);
  assert.equal(predicted.byteLength, read.byteLength, `${label}: bytes`);
  assert.equal(predicted.bomLength, read.bomLength, `${label}: BOM`);
  assert.deepEqual([...predicted.recordLines], [...read.recordLines], `${label}: record lines`);
  for (let line = 0; line < read.lineCount; line++) {
    const range = read.range(line);
    assert.deepEqual(predicted.range(line), range, `${label}: line ${line + 1}`);
    assert.deepEqual(predicted.ending(line), read.ending(line), `${label}: ending of line ${line + 1}`);
    if (read.mayBeInvalidUtf8(range.start, range.end)) assert.ok(predicted.mayBeInvalidUtf8(range.start, range.end), `${label}: UTF-8 of line ${line + 1}`);
  }
}

describe('saving a dataset read by handle', () => {
  it('gives the bytes the dataset held in memory gives, over rounds of random edits, saves and re-opens', async () => {
    const random = seededRandom(14);
    const shaped = shapes();
    const lines: (string | Buffer)[] = [];
    // About 9 MB: past the worker's threshold, and copied in several pieces.
    for (let size = 0, turn = 0; size < 9_000_000; turn++) {
      const line =
        turn % 400 === 0
          ? shaped['long line']
          : turn % 97 === 0
            ? '  '
            : turn % 113 === 0
              ? shaped['invalid utf-8']
              : record(turn, `${'é'.repeat(turn % 50)} ${'text '.repeat(turn % 300)}`);
      lines.push(line, turn % 3 === 0 ? '\r\n' : '\n');
      size += line.length + 1;
    }
    let expected: Buffer = Buffer.concat([Buffer.from('\uFEFF'), ...lines.map((part) => (typeof part === 'string' ? Buffer.from(part) : part))]);
    const file = fileOf(expected);
    const onDisk = await Dataset.open(file, { chunkBytes: 1 << 20 });
    assert.equal(openFds(), 1);
    let inMemory = Dataset.fromBytes('in memory', expected);
    for (let round = 0; round < 6; round++) {
      for (let edit = 0; edit < 25; edit++) {
        // The first line too, once: it holds the byte order mark.
        const line = round === 1 && edit === 0 ? 0 : inMemory.recordLine(Math.floor(random() * inMemory.recordCount));
        if (inMemory.rewriteRefusal(line) !== undefined) continue;
        const text = random() < 0.2 ? inMemory.lineText(line) : record(round * 100 + edit, `edited ${'ü'.repeat(Math.floor(random() * 40))}`);
        inMemory.setLineText(line, text);
        onDisk.setLineText(line, text);
      }
      // Once, a blank line becomes a record and a record a blank line: the records of the saved file change.
      if (round === 2) {
        const blank = Array.from({ length: inMemory.lineCount }, (_, line) => line).find((line) => inMemory.lineText(line).trim() === '' && line > 0);
        assert.ok(blank !== undefined);
        const emptied = inMemory.recordLine(inMemory.recordCount >> 1);
        for (const [line, text] of [
          [blank, record(blank, 'was blank')],
          [emptied, ' \t'],
        ] as const) {
          inMemory.setLineText(line, text);
          onDisk.setLineText(line, text);
        }
      }
      const saved = onDisk.snapshot();
      const predicted = onDisk.indexAfterSave(saved);
      await atomicWrite(file, onDisk.chunks(saved));
      // An edit made while the saved file is indexed stays an unsaved change after the re-open.
      const source = FileSource.open(file);
      const reindexing = indexFile(source, { chunkBytes: 1 << 20 });
      const reread = FileSource.open(file);
      assertSameIndex(predicted, await indexFile(reread), `round ${round}: the index worked out before the save`);
      reread.close();
      const late = onDisk.recordLine(round);
      onDisk.setLineText(late, record(late, `late ${round}`));
      onDisk.rebase({ source, lines: await reindexing }, saved);
      expected = await collectChunks(inMemory.chunks());
      assert.ok(fs.readFileSync(file).equals(expected), `round ${round}: the saved file`);
      inMemory = Dataset.fromBytes('in memory', expected);
      assert.deepEqual(
        onDisk.changes().map((change) => change.line),
        [late],
        `round ${round}: only the late edit is unsaved`,
      );
      inMemory.setLineText(late, record(late, `late ${round}`));
      assert.ok((await collectChunks(onDisk.chunks())).equals(await collectChunks(inMemory.chunks())), `round ${round}: the bytes after the late edit`);
    }
    onDisk.close();
    assert.equal(openFds(), 0, 'each save let the file it replaced go');
  });
});

describe('a file larger than the memory the command may use', () => {
  /** Memory the process may map for its data (RLIMIT_DATA), below the file's size, and the V8 heap. */
  const LIMIT_KB = 256 * 1024;
  const FILE_BYTES = 300e6;
  const limited = (args: string[]) =>
    execute('/bin/sh', ['-c', `ulimit -d ${LIMIT_KB} && exec "$0" "$@"`, process.execPath, '--max-old-space-size=64', ...args], {
      cwd: scratch,
      maxBuffer: 16 << 20,
    });

  it('is opened, and its last line read, by cot-studio validate', {
    skip: process.platform !== 'linux' && 'ulimit -d limits data memory on Linux',
  }, async () => {
    const file = path.join(scratch, 'large.jsonl');
    const reasoning = 'Counting the shapes row by row gives the same total as counting them by colour. '.repeat(250);
    const fd = fs.openSync(file, 'w');
    let lines = 0;
    for (let bytes = 0; bytes < FILE_BYTES; lines += 100) {
      const block = Array.from({ length: 100 }, (_, offset) => JSON.stringify({ question: `How many shapes? (${lines + offset})`, answer: '9', reasoning }));
      bytes += fs.writeSync(fd, `${block.join('\n')}\n`);
    }
    fs.writeSync(fd, 'the last line is not JSON\n');
    fs.closeSync(fd);
    // The limit is real: reading the file whole fails under it.
    await assert.rejects(limited(['-e', `require('node:fs').readFileSync(${JSON.stringify(file)})`]));
    const run = await limited([cliPath, 'validate', file]).then(
      () => assert.fail('the last line is an error'),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, new RegExp(`large\\.jsonl:${lines + 1}:1: error .*JSON`));
    assert.match(run.stdout, new RegExp(`\\n${lines + 1} records: 1 errors`));
    fs.rmSync(file);
  });
});

/** Everything an index says of each line, to compare two indices of the same bytes. */
function indexState(index: LineIndex, lineCount = index.lineCount) {
  const lines = Array.from({ length: lineCount }, (_, line) => {
    const { start, end } = index.range(line);
    return { start, end, ending: index.ending(line) };
  });
  return { lines, records: Array.from(index.recordLines).filter((line) => line < lineCount), bomLength: index.bomLength };
}

/** The bytes cut into pieces of random sizes from 1 byte to about a tenth of them, so lines and characters are split across pieces. */
function randomPieces(bytes: Buffer, random: () => number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let start = 0; start < bytes.length; ) {
    const end = Math.min(bytes.length, start + 1 + Math.floor(random() * Math.max(1, bytes.length / 10)));
    pieces.push(bytes.subarray(start, end));
    start = end;
  }
  return pieces;
}

describe('a line index built as the file is scanned', () => {
  it('agrees after every stretch with the index built at once, on every shape of file and chunk size', () => {
    for (const [name, bytes] of Object.entries(shapes())) {
      const whole = LineIndex.build(bytes);
      const { invalid } = expectedLines(bytes);
      for (const chunkBytes of [1, 7, 4096]) {
        const growing = new LineIndex();
        let stretches = 0;
        scanChunks(
          bytes.length,
          (position, length) => bytes.subarray(position, position + length),
          chunkBytes,
          isUtf8,
          (lines) => {
            const before = growing.lineCount;
            growing.append(lines);
            stretches++;
            assert.equal(growing.complete, lines.complete);
            // The lines this stretch added are as in the whole index, and the index reaches where the next line starts.
            const label = `${name} in chunks of ${chunkBytes}, stretch ${stretches}`;
            for (let line = before; line < growing.lineCount; line++) {
              assert.deepEqual([growing.range(line), growing.ending(line)], [whole.range(line), whole.ending(line)], `${label}: line ${line + 1}`);
              // A line that is not UTF-8 is never passed over (a small chunk may leave a valid one to be looked at).
              if (invalid[line] !== undefined)
                assert.ok(growing.mayBeInvalidUtf8(whole.range(line).start, whole.range(line).end), `${label}: line ${line + 1} is looked at`);
            }
            assert.equal(growing.recordLines.at(-1) ?? -1, whole.recordLines.filter((line) => line < growing.lineCount).at(-1) ?? -1, `${label}: records`);
            if (!growing.complete && growing.lineCount < whole.lineCount) assert.equal(growing.byteLength, whole.range(growing.lineCount).start);
          },
        );
        assert.equal(stretches, Math.max(1, Math.ceil(bytes.length / chunkBytes)), `${name}: one stretch a chunk`);
        assert.deepEqual(indexState(growing), indexState(whole), `${name} in chunks of ${chunkBytes}`);
        assert.equal(growing.byteLength, bytes.length);
      }
    }
  });

  it('opens a large file with the first stretch indexed, and grows to the whole index while its lines are read and edited', async () => {
    const parts: string[] = [];
    for (let size = 0, turn = 0; size < WORKER_THRESHOLD_BYTES + 500_000; turn++) {
      const line = turn % 11 === 0 ? ' \t' : record(turn, 'x'.repeat(turn % 300));
      parts.push(line, turn % 4 === 0 ? '\r\n' : '\n');
      size += line.length + 1;
    }
    const bytes = Buffer.from(parts.join(''));
    const file = fileOf(bytes);
    const dataset = await Dataset.openGrowing(file, { chunkBytes: 65_537 });
    assert.ok(dataset.indexing, 'the rest of the file is still being indexed');
    const first = { lines: dataset.lineCount, records: dataset.recordCount };
    assert.ok(first.records > 0 && first.lines < 2000, `the first stretch: ${first.lines} lines`);
    assert.equal(dataset.lineText(1), record(1, 'x'));
    assert.throws(() => dataset.chunks(), /still being indexed; save once it is/);
    dataset.setLineText(1, record(1, 'edited while indexing'));
    const seen: number[] = [];
    dataset.onGrow(() => seen.push(dataset.recordCount));
    const expected = expectedLines(bytes);
    assert.equal(await dataset.whenRecordIndexed(expected.records.length - 1), true);
    assert.equal(await dataset.whenIndexed(expected.texts.length), false, 'a line past the end of the file');
    assert.equal(dataset.indexing, false);
    assert.ok(seen.length > 10, `${seen.length} stretches reported`);
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b),
      'the record count only grows',
    );
    assert.deepEqual(dataset.indexProgress, { indexed: bytes.length, total: bytes.length });
    dataset.setLineText(1, record(1, 'x'));
    await assertReadsAs(dataset, bytes, 'the file indexed while open');
    dataset.close();
    assert.equal(openFds(), 0);
  });

  it('lets a file being indexed be closed, and says so to those waiting for a line', async () => {
    const file = fileOf(Buffer.from(`${record(0, 'x'.repeat(1000))}\n`.repeat(WORKER_THRESHOLD_BYTES / 1000 + 500)));
    const dataset = await Dataset.openGrowing(file, { chunkBytes: 4096 });
    const waiting = dataset.whenIndexed();
    dataset.close();
    await assert.rejects(waiting, /could not be indexed: .* was closed/);
    assert.equal(openFds(), 0);
  });
});

describe('a file that another program appends to', () => {
  it('reads as the final file after appends of random sizes, by handle and in memory, lines split across appends', async () => {
    const random = seededRandom(21);
    for (const [name, bytes] of Object.entries(shapes())) {
      if (bytes.length < 2) continue;
      for (let round = 0; round < 2; round++) {
        const pieces = randomPieces(bytes, random);
        const file = fileOf(pieces[0]);
        const byHandle = await Dataset.open(file, { chunkBytes: 64 });
        const inMemory = Dataset.fromBytes(name, pieces[0]);
        let written = pieces[0].length;
        for (const piece of pieces.slice(1)) {
          fs.appendFileSync(file, piece);
          written += piece.length;
          assert.equal(await byHandle.append(FileSource.open(file), { chunkBytes: 1000 }), true, `${name}: an append by handle`);
          assert.equal(await inMemory.append(new BufferSource(bytes.subarray(0, written))), true, `${name}: an append in memory`);
        }
        await assertReadsAs(byHandle, bytes, `${name} appended in ${pieces.length} pieces by handle`);
        await assertReadsAs(inMemory, bytes, `${name} appended in ${pieces.length} pieces in memory`);
        byHandle.close();
      }
    }
    assert.equal(openFds(), 0, 'each append let the handle it replaced go');
  });

  it('keeps edits and saves everything after an append; tells a rewrite, a replacement and an edited open last line from an append', async () => {
    const file = fileOf(Buffer.from(`${record(0)}\n${record(1)}\n`));
    const dataset = await Dataset.open(file);
    dataset.setLineText(0, record(0, 'edited'));
    fs.appendFileSync(file, `${record(2)}\n${record(3, 'still being written')}`);
    assert.equal(await dataset.append(FileSource.open(file)), true);
    assert.equal(dataset.recordCount, 4);
    await atomicWrite(file, dataset.chunks());
    assert.equal(fs.readFileSync(file, 'utf8'), `${record(0, 'edited')}\n${record(1)}\n${record(2)}\n${record(3, 'still being written')}`);
    const saved = await Dataset.open(file);
    // The open last line has an edit: what was appended to it cannot be told apart from a change.
    saved.setLineText(3, record(3, 'mine'));
    fs.appendFileSync(file, ' and more\n');
    const longer = FileSource.open(file);
    assert.equal(await saved.append(longer), false);
    longer.close();
    saved.setLineText(3, record(3, 'still being written'));
    const again = FileSource.open(file);
    assert.equal(await saved.append(again), true);
    assert.equal(saved.lineText(3), `${record(3, 'still being written')} and more`);
    // Rewritten in place, longer: the last bytes read are gone.
    fs.writeFileSync(file, `${record(9)}\n`.repeat(10));
    const rewritten = FileSource.open(file);
    assert.equal(await saved.append(rewritten), false);
    rewritten.close();
    // Replaced by another file with the same bytes and more: another file, not an append.
    const replacement = `${file}.new`;
    fs.writeFileSync(replacement, Buffer.concat([fs.readFileSync(file), Buffer.from(`${record(10)}\n`)]));
    const before = Dataset.fromBytes('before', fs.readFileSync(file));
    const current = await Dataset.open(file);
    fs.renameSync(replacement, file);
    const renamed = FileSource.open(file);
    assert.equal(await current.append(renamed), false);
    renamed.close();
    assert.equal(before.lineCount, current.lineCount);
    dataset.close();
    saved.close();
    current.close();
    assert.equal(openFds(), 0);
  });
});
