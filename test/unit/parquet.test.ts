import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { ByteWriter, parquetWrite } from 'hyparquet-writer';
import { exportDataset, exportFormatSchema, exportOptionsSchema, readExportInput, type ExportInput } from '../../src/export';
import { convertDataset } from '../../src/parquet/convert';
import { readParquetRecords } from '../../src/parquet/readParquet';
import { parseJsonText, type Value } from '../../src/parquet/value';
import { cliPath, runCli } from '../harness/cli';
import { datasetsDir, fixturesDir } from '../harness/fixtures';

const execute = promisify(execFile);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-parquet-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

let folders = 0;
function folder(): string {
  const made = path.join(scratch, `case-${++folders}`);
  fs.mkdirSync(made);
  return made;
}

/** The records of a JSONL file, integers beyond 2^53 read exactly. */
function readRecords(file: string): Value[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(parseJsonText);
}

function writeRecords(file: string, lines: string[]): void {
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

/** A small real PNG (1x1, one grey pixel) and a GIF header: what the magic numbers are checked against. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==', 'base64');
const GIF = Buffer.concat([
  Buffer.from('GIF89a'),
  Buffer.from([1, 0, 1, 0, 0x80, 0, 0, 0xff, 0xff, 0xff, 0, 0, 0, 0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0, 0x3b]),
]);

describe('JSONL -> Parquet -> JSONL', () => {
  // Written as a JSONL file spells them: the big integers must not pass through a double.
  const lines = [
    // LLaVA-CoT's shape (conversations of from/value), an id beyond 2^53 and beyond INT32.
    '{"id": 9007199254740993, "image": "a.png", "conversations": [{"from": "human", "value": "<image>\\nWhat is shown? é 漢字 עברית 🙂 \\u0000 \\"quoted\\""}, {"from": "gpt", "value": "<SUMMARY>x</SUMMARY>"}], "score": 0.1, "count": 2147483648, "ok": true}',
    // A record lacking keys the others have, and one key of its own; an explicit null kept as null.
    '{"id": -9223372036854775808, "conversations": [], "score": -1e300, "extra": {"nested": {"deep": [1, 2, 3]}}, "ok": null}',
    // Mixed types at one place become JSON text: a string content here, a list of parts there (OpenAI chat).
    '{"id": 1234567890123456789, "messages": [{"role": "user", "content": "plain"}, {"role": "assistant", "content": [{"type": "text", "text": "parts"}]}], "score": 3, "count": 0, "ok": true}',
    '{"id": 4, "messages": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "t"}]}], "empty": {}, "lists": [[1.5, null], [], null], "ok": false}',
  ];

  it('gives back the same records: nested values, unicode, nulls, missing keys, numbers', async () => {
    const dir = folder();
    writeRecords(path.join(dir, 'in.jsonl'), lines);
    const there = await convertDataset(path.join(dir, 'in.jsonl'), path.join(dir, 'out.parquet'), { images: 'path' });
    assert.equal(there.records, 4);
    const back = await convertDataset(path.join(dir, 'out.parquet'), path.join(dir, 'back.jsonl'), { images: 'path' });
    assert.equal(back.records, 4);
    assert.deepEqual(readRecords(path.join(dir, 'back.jsonl')), readRecords(path.join(dir, 'in.jsonl')));
    assert.equal(typeof (readRecords(path.join(dir, 'back.jsonl'))[0] as { id: unknown }).id, 'bigint', 'the id beyond 2^53 kept every digit');
  });

  it('stores objects as structs, lists as LISTs, integers as INT64, and disagreeing values as JSON text', async () => {
    const dir = folder();
    writeRecords(path.join(dir, 'in.jsonl'), lines);
    await convertDataset(path.join(dir, 'in.jsonl'), path.join(dir, 'out.parquet'), { images: 'path' });
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path.join(dir, 'out.parquet')));
    const element = (name: string) => metadata.schema.find((item) => item.name === name);
    assert.equal(element('id')?.type, 'INT64');
    assert.equal(element('score')?.type, 'DOUBLE', 'integers and fractions in one column are doubles');
    assert.equal(element('conversations')?.converted_type, 'LIST');
    assert.equal(element('from')?.converted_type, 'UTF8');
    assert.equal(element('content')?.converted_type, 'JSON', 'a string in one message and a list in another');
    assert.equal(element('empty')?.converted_type, 'JSON', 'an object that never has a key');
    // A reader that knows nothing of this product sees the nested rows (no JSON strings to decode).
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(path.join(dir, 'out.parquet')) });
    assert.deepEqual(rows[0].conversations[1], { from: 'gpt', value: '<SUMMARY>x</SUMMARY>' });
  });

  it('writes a null for a key that one record lacks and another sets to null (Parquet cannot tell them apart)', async () => {
    const dir = folder();
    writeRecords(path.join(dir, 'in.jsonl'), ['{"a": 1, "b": null}', '{"a": 2}']);
    await convertDataset(path.join(dir, 'in.jsonl'), path.join(dir, 'out.parquet'), { images: 'path' });
    await convertDataset(path.join(dir, 'out.parquet'), path.join(dir, 'back.jsonl'), { images: 'path' });
    assert.deepEqual(readRecords(path.join(dir, 'back.jsonl')), [
      { a: 1, b: null },
      { a: 2, b: null },
    ]);
  });

  it('names the file and line of a line that is not a record, and writes nothing', async () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, 'in.jsonl'), '{"a": 1}\n\n[1, 2]\n');
    await assert.rejects(
      convertDataset(path.join(dir, 'in.jsonl'), path.join(dir, 'out.parquet'), { images: 'path' }),
      /in\.jsonl:3: a record must be a JSON object, found an array/,
    );
    fs.writeFileSync(path.join(dir, 'bad.jsonl'), '{"a": 1}\n{"a": \n');
    const run = await runCli('convert', path.join(dir, 'bad.jsonl'), path.join(dir, 'out.parquet'));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /bad\.jsonl:2: not JSON/);
    assert.ok(!fs.existsSync(path.join(dir, 'out.parquet')));
  });

  it('refuses records that have no key at all, which Parquet rows cannot hold, and keeps an empty file empty', async () => {
    const dir = folder();
    writeRecords(path.join(dir, 'keyless.jsonl'), ['{}', '{}']);
    await assert.rejects(
      convertDataset(path.join(dir, 'keyless.jsonl'), path.join(dir, 'out.parquet'), { images: 'path' }),
      /keyless\.jsonl: every record is \{\}/,
    );
    writeRecords(path.join(dir, 'some.jsonl'), ['{}', '{"a": 1}']);
    await convertDataset(path.join(dir, 'some.jsonl'), path.join(dir, 'some.parquet'), { images: 'path' });
    await convertDataset(path.join(dir, 'some.parquet'), path.join(dir, 'some.back.jsonl'), { images: 'path' });
    assert.deepEqual(readRecords(path.join(dir, 'some.back.jsonl')), [{}, { a: 1 }]);
    fs.writeFileSync(path.join(dir, 'empty.jsonl'), '');
    assert.equal((await convertDataset(path.join(dir, 'empty.jsonl'), path.join(dir, 'empty.parquet'), { images: 'path' })).records, 0);
    assert.equal((await convertDataset(path.join(dir, 'empty.parquet'), path.join(dir, 'empty.back.jsonl'), { images: 'path' })).records, 0);
    assert.equal(fs.readFileSync(path.join(dir, 'empty.back.jsonl'), 'utf8'), '');
  });

  it('refuses other extensions and standard input as usage errors', async () => {
    assert.equal((await runCli('convert', 'a.json', 'b.parquet')).code, 2);
    assert.equal((await runCli('convert', '-', 'b.parquet')).code, 2);
    assert.equal((await runCli('convert', path.join(scratch, 'missing.jsonl'), path.join(scratch, 'b.parquet'))).code, 2);
    fs.writeFileSync(path.join(scratch, 'text.parquet'), 'not parquet\n');
    const notParquet = await runCli('convert', path.join(scratch, 'text.parquet'), path.join(scratch, 'text.jsonl'));
    assert.equal(notParquet.code, 1);
    assert.match(notParquet.stderr, /text\.parquet: not a Parquet file/);
  });
});

describe('Parquet files written by other programs', () => {
  const fixtures = path.join(fixturesDir, 'parquet');

  it('reads parquet-mr nested lists, maps and structs (uncompressed, dictionary pages)', async () => {
    const dir = folder();
    await convertDataset(path.join(fixtures, 'nullable.impala.parquet'), path.join(dir, 'out.jsonl'), { images: 'path' });
    const records = readRecords(path.join(dir, 'out.jsonl'));
    assert.equal(records.length, 7);
    assert.deepEqual(records[0], {
      id: 1,
      int_array: [1, 2, 3],
      int_array_Array: [
        [1, 2],
        [3, 4],
      ],
      int_map: { k1: 1, k2: 100 },
      int_Map_Array: [{ k1: 1 }],
      nested_struct: {
        A: 1,
        b: [1],
        C: {
          d: [
            [
              { E: 10, F: 'aaa' },
              { E: -10, F: 'bbb' },
            ],
            [{ E: 11, F: 'c' }],
          ],
        },
        g: { foo: { H: { i: [1.1] } } },
      },
    });
    assert.deepEqual((records[1] as { int_array: unknown }).int_array, [null, 1, 2, null, 3, null]);
    assert.deepEqual(records[5], { id: 6, int_array: null, int_array_Array: null, int_map: null, int_Map_Array: null, nested_struct: null });
    assert.deepEqual((records[6] as { int_array_Array: unknown }).int_array_Array, [null, [5, 6]]);
  });

  it('reads parquet-mr data pages v2 with snappy and delta encodings', async () => {
    const dir = folder();
    await convertDataset(path.join(fixtures, 'datapage_v2.snappy.parquet'), path.join(dir, 'out.jsonl'), { images: 'path' });
    assert.deepEqual(readRecords(path.join(dir, 'out.jsonl')), [
      { a: 'abc', b: 1, c: 2, d: true, e: [1, 2, 3] },
      { a: 'abc', b: 2, c: 3, d: true, e: null },
      { a: 'abc', b: 3, c: 4, d: true, e: null },
      { a: null, b: 4, c: 5, d: false, e: [1, 2, 3] },
      { a: 'abc', b: 5, c: 2, d: true, e: [1, 2] },
    ]);
  });

  it('reads a file written with gzip, two-row groups, required INT32 and FLOAT columns and unannotated text', async () => {
    const dir = folder();
    const writer = new ByteWriter();
    await parquetWrite({
      writer,
      codec: 'GZIP',
      compressors: { GZIP: (input: Uint8Array) => gzipSync(input) },
      rowGroupSize: 2,
      statistics: false,
      schema: [
        { name: 'schema', num_children: 5 },
        { name: 'step', type: 'INT32', repetition_type: 'REQUIRED' },
        { name: 'reward', type: 'FLOAT', repetition_type: 'REQUIRED' },
        { name: 'prompt', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
        { name: 'picture', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
        { name: 'when', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'OPTIONAL' },
      ],
      columnData: [
        { name: 'step', data: [1, 2, 3] },
        { name: 'reward', data: [0.5, -1, 0.25] },
        { name: 'prompt', data: [Buffer.from('Solve ∫x dx'), null, Buffer.from('plain')] },
        { name: 'picture', data: [PNG, null, Buffer.from([0xff, 0x00, 0xfe])] },
        { name: 'when', data: [new Date(Date.UTC(2025, 0, 2)), null, null] },
      ],
    });
    fs.writeFileSync(path.join(dir, 'foreign.parquet'), writer.getBytes());
    assert.equal((await parquetMetadataAsync(await asyncBufferFromFile(path.join(dir, 'foreign.parquet')))).row_groups.length, 2);

    const result = await convertDataset(path.join(dir, 'foreign.parquet'), path.join(dir, 'out.jsonl'), { images: 'path' });
    assert.deepEqual(readRecords(path.join(dir, 'out.jsonl')), [
      { step: 1, reward: 0.5, prompt: 'Solve ∫x dx', picture: 'out_images/1-0.png', when: '2025-01-02T00:00:00.000Z' },
      { step: 2, reward: -1, prompt: null, picture: null, when: null },
      { step: 3, reward: 0.25, prompt: 'plain', picture: 'out_images/3-0.bin', when: null },
    ]);
    assert.equal(result.files, 2);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'out_images', '1-0.png')), PNG);
    assert.deepEqual([...fs.readFileSync(path.join(dir, 'out_images', '3-0.bin'))], [0xff, 0x00, 0xfe]);
  });
});

describe('images as Hugging Face {bytes, path} structs', () => {
  /** A Parquet file as Hugging Face writes an `Image` column and a list of them (struct<bytes: binary, path: string>). */
  async function hfImageFile(file: string): Promise<void> {
    const imageStruct = (name: string) => [
      { name, repetition_type: 'OPTIONAL' as const, num_children: 2 },
      { name: 'bytes', type: 'BYTE_ARRAY' as const, repetition_type: 'OPTIONAL' as const },
      { name: 'path', type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'OPTIONAL' as const },
    ];
    const writer = new ByteWriter();
    await parquetWrite({
      writer,
      schema: [
        { name: 'schema', num_children: 3 },
        { name: 'problem', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        ...imageStruct('image'),
        { name: 'images', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        ...imageStruct('element'),
      ],
      columnData: [
        { name: 'problem', data: ['<image>How many?', 'Compare <image><image>'] },
        {
          name: 'image',
          data: [
            { bytes: PNG, path: 'geo_001.png' },
            { bytes: null, path: 'remote/only_path.jpg' },
          ],
        },
        {
          name: 'images',
          data: [
            [],
            [
              { bytes: GIF, path: null },
              { bytes: PNG, path: 'second.png' },
            ],
          ],
        },
      ],
    });
    fs.writeFileSync(file, writer.getBytes());
  }

  it('writes the bytes as files beside the JSONL and embeds them back byte for byte', async () => {
    const dir = folder();
    await hfImageFile(path.join(dir, 'hf.parquet'));
    const out = await convertDataset(path.join(dir, 'hf.parquet'), path.join(dir, 'train.jsonl'), { images: 'path' });
    assert.equal(out.files, 3);
    assert.deepEqual(readRecords(path.join(dir, 'train.jsonl')), [
      { problem: '<image>How many?', image: 'train_images/1-0.png', images: [] },
      { problem: 'Compare <image><image>', image: 'remote/only_path.jpg', images: ['train_images/2-0.gif', 'train_images/2-1.png'] },
    ]);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'train_images', '2-0.gif')), GIF);

    // Embedded again: the path that is no file here cannot be, so that record is left out of this check.
    const lines = fs.readFileSync(path.join(dir, 'train.jsonl'), 'utf8').split('\n');
    fs.writeFileSync(path.join(dir, 'local.jsonl'), `${lines[0]}\n${lines[1].replace('remote/only_path.jpg', 'train_images/1-0.png')}\n`);
    await convertDataset(path.join(dir, 'local.jsonl'), path.join(dir, 'again.parquet'), { images: 'embed' });
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(path.join(dir, 'again.parquet')), utf8: false });
    assert.deepEqual(Buffer.from(rows[0].image.bytes), PNG);
    assert.equal(rows[0].image.path, 'train_images/1-0.png');
    assert.deepEqual(Buffer.from(rows[1].images[0].bytes), GIF);
    assert.deepEqual(Buffer.from(rows[1].images[1].bytes), PNG);

    // And back to JSONL once more: the same images, byte for byte.
    await convertDataset(path.join(dir, 'again.parquet'), path.join(dir, 'again.jsonl'), { images: 'path' });
    assert.deepEqual(fs.readFileSync(path.join(dir, 'again_images', '2-1.gif')), GIF, "row 2's second image (its first is `image`)");
  });

  it('inlines the images as data URIs with --images embed, and the read commands take the Parquet file as it is', async () => {
    const dir = folder();
    await hfImageFile(path.join(dir, 'hf.parquet'));
    await convertDataset(path.join(dir, 'hf.parquet'), path.join(dir, 'inline.jsonl'), { images: 'embed' });
    const [first] = readRecords(path.join(dir, 'inline.jsonl')) as { image: string }[];
    assert.equal(first.image, `data:image/png;base64,${PNG.toString('base64')}`);
    assert.ok(!fs.existsSync(path.join(dir, 'inline_images')));

    const stats = await runCli('stats', path.join(dir, 'hf.parquet'), '--json');
    assert.equal((JSON.parse(stats.stdout) as { records: number }).records, 2, stats.stderr);
  });

  it('refuses to embed an image that is missing, naming the line and the field', async () => {
    const dir = folder();
    writeRecords(path.join(dir, 'in.jsonl'), ['{"image": null}', '{"images": ["gone.png"]}']);
    await assert.rejects(
      convertDataset(path.join(dir, 'in.jsonl'), path.join(dir, 'out.parquet'), { images: 'embed' }),
      /in\.jsonl:2: images\[0\]: image not found: gone\.png/,
    );
  });
});

describe('export to .parquet', () => {
  const FIXTURES = ['llava_cot.jsonl', 'mmpr.jsonl', 'r1vl.jsonl', 'mulberry.jsonl'];
  function inputs(name: string): ExportInput[] {
    return fs
      .readFileSync(path.join(datasetsDir, name), 'utf8')
      .split('\n')
      .flatMap((text, index) => {
        if (text.trim() === '') return [];
        const input = readExportInput(text, index + 1);
        return 'refusal' in input ? [] : [input];
      });
  }

  for (const format of exportFormatSchema.options) {
    it(`writes the rows the JSONL export has: ${format}`, async () => {
      const dir = folder();
      for (const fixture of FIXTURES) {
        const base = path.basename(fixture, '.jsonl');
        const options = (outputPath: string) => exportOptionsSchema.parse({ datasetDir: datasetsDir, outputPath });
        const jsonl = await exportDataset(format, inputs(fixture), options(path.join(dir, `${base}.jsonl`)));
        const parquet = await exportDataset(format, inputs(fixture), options(path.join(dir, `${base}.parquet`)));
        assert.equal(parquet.written, jsonl.written);
        const rows: Value[] = [];
        for await (const { record } of readParquetRecords(path.join(dir, `${base}.parquet`), () => assert.fail('an export embeds no bytes'))) rows.push(record);
        assert.deepEqual(rows, readRecords(path.join(dir, `${base}.jsonl`)), `${format} of ${fixture}`);
      }
      assert.deepEqual(
        fs.readdirSync(dir).filter((name) => name.endsWith('.tmp')),
        [],
        'no temporary file is left',
      );
    });
  }
});

describe('memory', () => {
  /**
   * Peak resident memory of a CLI run, from the child itself when it exits. Its heap is capped well below the
   * file's size too, so that the garbage collector does not let RSS drift up to the bound on a roomy machine:
   * a converter that held the file would die of it, and one that held a part would pass the bound.
   */
  async function peakRss(...args: string[]): Promise<number> {
    const probe = path.join(scratch, 'peak.js');
    fs.writeFileSync(probe, `process.on('exit', () => require('fs').writeSync(2, '\\npeak-rss ' + process.resourceUsage().maxRSS * 1024 + '\\n'));\n`);
    const { stderr } = await execute(process.execPath, ['--max-old-space-size=128', '--require', probe, cliPath, ...args], { maxBuffer: 1 << 20 });
    const match = /peak-rss (\d+)/.exec(stderr);
    assert.ok(match, stderr);
    return Number(match[1]);
  }

  it('converts 200K records both ways in a bounded amount of memory, not the file size', async () => {
    const dir = folder();
    const input = path.join(dir, 'big.jsonl');
    const out = fs.openSync(input, 'w');
    const filler = 'step by step reasoning '.repeat(20);
    for (let start = 0; start < 200_000; start += 10_000) {
      const lines: string[] = [];
      for (let id = start; id < start + 10_000; id++) {
        lines.push(
          JSON.stringify({
            id,
            image: `img/${id % 977}.png`,
            conversations: [
              { from: 'human', value: `<image>\nQuestion ${id}` },
              { from: 'gpt', value: `<REASONING>${filler}${id}</REASONING>` },
            ],
            score: id / 7,
          }),
        );
      }
      fs.writeSync(out, `${lines.join('\n')}\n`);
    }
    fs.closeSync(out);
    const size = fs.statSync(input).size;
    assert.ok(size > 120e6, `the file (${size} bytes) is larger than what may be held`);

    const limit = 300e6;
    const toParquet = await peakRss('convert', input, path.join(dir, 'big.parquet'));
    assert.ok(toParquet < limit, `JSONL -> Parquet peaked at ${Math.round(toParquet / 1e6)} MB`);
    const toJsonl = await peakRss('convert', path.join(dir, 'big.parquet'), path.join(dir, 'back.jsonl'));
    assert.ok(toJsonl < limit, `Parquet -> JSONL peaked at ${Math.round(toJsonl / 1e6)} MB`);
    assert.equal(fs.statSync(path.join(dir, 'back.jsonl')).size, size, 'the same lines back (JSON.stringify spelled them the same way)');
  });
});
