import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { Dataset } from '../../src/dataset';
import { exportDatasetRecords, exportOptionsSchema } from '../../src/export';
import { lineBlocks } from '../../src/files/lineBlocks';
import { cliPath, runCli } from '../harness/cli';
import { datasetsDir } from '../harness/fixtures';

const execute = promisify(execFile);

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-streamed-export-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const sampleLines = (name: string): string[] =>
  fs
    .readFileSync(path.join(datasetsDir, name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');

/** Runs the built CLI in the scratch folder with `input` on its standard input. */
function runCliWithInput(input: Buffer, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [cliPath, ...args], { cwd: scratch, maxBuffer: 4 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

/**
 * The bytes in chunks of the sizes given, taken in turn; `reused`: each chunk in the same buffer, filled again
 * once the next is asked for, as a read ahead gives them.
 */
async function* chunksOf(bytes: Buffer, sizes: readonly number[], reused = false): AsyncGenerator<Buffer> {
  const buffer = Buffer.alloc(Math.max(...sizes));
  let start = 0;
  for (let turn = 0; start < bytes.length; turn++) {
    const size = sizes[turn % sizes.length];
    const chunk = bytes.subarray(start, start + size);
    yield reused ? buffer.subarray(0, chunk.copy(buffer)) : chunk;
    if (reused) buffer.fill(0x23);
    start += size;
  }
}

describe('lineBlocks', () => {
  it('cuts a stream into whole lines however its chunks fall', async () => {
    const text = Buffer.from('first\r\nsecond line\n\n  \nthe longest line of them all\nlast, with no newline');
    for (const sizes of [[1], [3, 7], [64], [5, 1, 30]]) {
      for (const reused of [false, true]) {
        const blocks: Buffer[] = [];
        // A block is valid until the next is asked for: it is copied at once.
        for await (const block of lineBlocks(chunksOf(text, sizes, reused))) blocks.push(Buffer.from(block));
        const named = `chunks of ${sizes.join(', ')}${reused ? ' in one buffer' : ''}`;
        assert.deepEqual(Buffer.concat(blocks), text, named);
        for (const block of blocks.slice(0, -1)) assert.equal(block.at(-1), 0x0a, `${named}: a block ends with its last line's newline`);
        assert.equal(blocks.at(-1)?.toString(), 'last, with no newline');
      }
    }
  });
});

describe('cot-studio export reads its file as it writes', () => {
  const llava = sampleLines('llava_cot.jsonl');
  const mmpr = sampleLines('mmpr.jsonl');
  // Lines longer than the CLI's megabyte reads, so that blocks of lines start with them: a record, then a line
  // of a byte order mark and spaces, which is a line that is not JSON and not the file's mark and a blank line.
  const long = JSON.stringify({ ...(JSON.parse(llava[4]) as object), meta: { note: 'x'.repeat(1_500_000) } });
  const lines = [
    `\uFEFF${llava[0]}`,
    ' \t\r',
    `${llava[1]}\r`,
    '',
    'not json',
    '\uFEFF  ',
    long,
    `\uFEFF${' '.repeat(1_200_000)}`,
    // Mostly preference records, so that a preference export refuses few: the refusals are compared in full.
    ...Array.from({ length: 2000 }, (_, index) => (index % 50 === 0 ? llava[index % llava.length] : mmpr[index % mmpr.length])),
    '[1, 2]',
  ];
  const invalid = Buffer.from(`${llava[2]}\n`);
  invalid[20] = 0xff;
  const bytes = Buffer.concat([Buffer.from(`${lines.slice(0, 5).join('\n')}\n`), invalid, Buffer.from(`${lines.slice(5).join('\n')}\n${llava[3]}`)]);
  const file = path.join(scratch, 'edges.jsonl');
  fs.writeFileSync(file, bytes);

  it('gives the lines, refusals and line numbers of an export from the dataset held whole', async () => {
    for (const format of ['trl-sft', 'trl-dpo'] as const) {
      const streamed = path.join(scratch, `streamed-${format}.jsonl`);
      const held = path.join(scratch, `held-${format}.jsonl`);
      const run = await runCli('export', file, '--format', format, '-o', streamed, '--image-root', datasetsDir);
      const options = exportOptionsSchema.parse({ datasetDir: scratch, imageRoots: [datasetsDir], outputPath: held });
      const whole = await exportDatasetRecords(Dataset.fromBytes('edges.jsonl', bytes), format, options);
      assert.ok(whole.written > 1000 && whole.refusals.length > 4, `${format}: ${whole.written} written, ${whole.refusals.length} refused`);
      assert.equal(run.code, 1, run.stderr);
      assert.deepEqual(fs.readFileSync(streamed), fs.readFileSync(held), format);
      const expected = (name: string) => whole.refusals.map(({ line, reason }) => `${name}:${line}: not exported: ${reason}\n`).join('');
      assert.equal(run.stderr, expected(file), format);
      assert.match(run.stdout, new RegExp(`^${whole.written} ${format} lines written`));
      // Standard input comes in smaller chunks than a file's reads, so its blocks of lines end elsewhere.
      const piped = await runCliWithInput(
        bytes,
        'export',
        '-',
        '--format',
        format,
        '-o',
        path.join(scratch, `piped-${format}.jsonl`),
        '--image-root',
        datasetsDir,
      );
      assert.equal(piped.stderr, expected('-'), `${format} from standard input`);
      assert.deepEqual(fs.readFileSync(path.join(scratch, `piped-${format}.jsonl`)), fs.readFileSync(held), `${format} from standard input`);
    }
    const refused = (await runCli('export', file, '--format', 'trl-sft', '-o', path.join(scratch, 'again.jsonl'), '--image-root', datasetsDir)).stderr;
    assert.match(refused, /edges\.jsonl:5: not exported: not valid JSON/);
    assert.match(refused, /edges\.jsonl:6: not exported: invalid UTF-8 at byte 20 of the line \(0xff\)/);
    assert.match(refused, /edges\.jsonl:7: not exported: not valid JSON/);
    assert.match(refused, /edges\.jsonl:9: not exported: not valid JSON/);
    assert.match(refused, new RegExp(`edges\\.jsonl:${lines.length + 1}: not exported: .*array`));
  });

  it('reads standard input once, and through a temporary copy for --shortest-correct', async () => {
    const question = (reply: string, answer: string) =>
      JSON.stringify({
        messages: [
          { role: 'user', content: '<image>How many shapes?' },
          { role: 'assistant', content: `<think>${reply}</think><answer>${answer}</answer>` },
        ],
        images: ['images/shapes.png'],
        answer: '9',
      });
    const records = Buffer.from(
      [question('Three, two and four more make 9 in all.', '9'), question('3 + 2 + 4 = 9.', '9'), question('Eight.', '8'), ...llava].join('\n'),
    );
    const named = path.join(scratch, 'questions.jsonl');
    fs.writeFileSync(named, records);
    for (const extra of [[], ['--shortest-correct']]) {
      const byName = await runCli('export', named, '--format', 'trl-sft', '-o', path.join(scratch, 'by-name.jsonl'), '--image-root', datasetsDir, ...extra);
      const piped = await runCliWithInput(
        records,
        'export',
        '-',
        '--format',
        'trl-sft',
        '-o',
        path.join(scratch, 'piped.jsonl'),
        '--image-root',
        datasetsDir,
        ...extra,
      );
      assert.equal(piped.code, byName.code, piped.stderr);
      assert.equal(piped.stdout.replace('piped', 'by-name'), byName.stdout);
      assert.deepEqual(fs.readFileSync(path.join(scratch, 'piped.jsonl')), fs.readFileSync(path.join(scratch, 'by-name.jsonl')));
    }
    const shortest = await runCli(
      'export',
      named,
      '--format',
      'trl-sft',
      '-o',
      path.join(scratch, 'shortest.jsonl'),
      '--image-root',
      datasetsDir,
      '--shortest-correct',
    );
    assert.match(shortest.stdout, /^11 trl-sft lines written.*; 2 records dropped beside a shorter correct response/);
    assert.deepEqual(
      fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('cot-studio-input-')),
      [],
      'the copy of standard input is removed',
    );
  });

  it('reads a Parquet file a row group at a time to the lines of its JSONL', async () => {
    const jsonl = path.join(scratch, 'records.jsonl');
    fs.writeFileSync(jsonl, `${[...llava, ...mmpr].join('\n')}\n`);
    const parquet = path.join(scratch, 'records.parquet');
    assert.equal((await runCli('convert', jsonl, parquet)).code, 0);
    const fromJsonl = await runCli('export', jsonl, '--format', 'trl-sft', '-o', path.join(scratch, 'from-jsonl.jsonl'), '--image-root', datasetsDir);
    const fromParquet = await runCli('export', parquet, '--format', 'trl-sft', '-o', path.join(scratch, 'from-parquet.jsonl'), '--image-root', datasetsDir);
    assert.equal(fromParquet.code, fromJsonl.code, fromParquet.stderr);
    assert.match(fromParquet.stdout, new RegExp(`^${llava.length + mmpr.length} trl-sft lines written`));
    assert.deepEqual(fs.readFileSync(path.join(scratch, 'from-parquet.jsonl')), fs.readFileSync(path.join(scratch, 'from-jsonl.jsonl')));
  });
});

describe('cot-studio export in bounded memory', () => {
  /** Memory the process may map for its data (RLIMIT_DATA), below the file's size, and the V8 heap the export runs in. */
  const LIMIT_KB = 256 * 1024;
  const FILE_BYTES = 300e6;
  const NODE_FLAGS = ['--max-old-space-size=32', '--max-semi-space-size=2'];
  /** `node ARGS` under the data limit: `ulimit -d` is the shell's, so a shell starts node in its place. */
  const limited = (args: string[]) =>
    execute('/bin/sh', ['-c', `ulimit -d ${LIMIT_KB} && exec "$0" "$@"`, process.execPath, ...NODE_FLAGS, ...args], { cwd: scratch });

  it('exports a file larger than the memory it may use', { skip: process.platform !== 'linux' && 'ulimit -d limits data memory on Linux' }, async () => {
    const folder = fs.mkdtempSync(path.join(scratch, 'large-'));
    fs.cpSync(path.join(datasetsDir, 'images'), path.join(folder, 'images'), { recursive: true });
    const reasoning = 'Counting the shapes row by row gives the same total as counting them by colour. '.repeat(250);
    const record = (index: number) =>
      JSON.stringify({
        messages: [
          { role: 'user', content: '<image>How many shapes are there?' },
          { role: 'assistant', content: `<think>${index}: ${reasoning}</think><answer>9</answer>` },
        ],
        images: ['images/shapes.png'],
      });
    const file = path.join(folder, 'large.jsonl');
    const fd = fs.openSync(file, 'w');
    let records = 0;
    for (let bytes = 0; bytes < FILE_BYTES; records += 100)
      bytes += fs.writeSync(fd, `${Array.from({ length: 100 }, (_, offset) => record(records + offset)).join('\n')}\n`);
    fs.closeSync(fd);
    // The limit is real: reading the file whole fails under it.
    await assert.rejects(limited(['-e', `require('node:fs').readFileSync(${JSON.stringify(file)})`]));
    const output = path.join(folder, 'out.jsonl');
    const { stdout } = await limited([cliPath, 'export', file, '--format', 'trl-sft', '-o', output]);
    assert.match(stdout, new RegExp(`^${records} trl-sft lines written`));
    assert.ok(fs.statSync(output).size > 0.9 * fs.statSync(file).size, 'every reasoning is written out');
    fs.rmSync(folder, { recursive: true, force: true });
  });
});
