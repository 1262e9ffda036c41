// How exports write images: only images they find and may read, in the mode asked for, with copies that never
// write over a file. Records are LLaVA-CoT shaped ({id, image, conversations: human <image> question, gpt
// <SUMMARY>...<CONCLUSION>}), as its train.jsonl writes them; real files, real links, the built CLI.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ANNOTATION_KEY } from '../../src/dataset/annotations';
import type { JsonObject } from '../../src/dataset/record';
import {
  exportDataset,
  exportFormatSchema,
  exportOptionsSchema,
  readExportInput,
  type ExportFormat,
  type ExportInput,
  type ExportOptions,
} from '../../src/export';
import { runCli } from '../harness/cli';
import { GIF_BASE64, PNG_BASE64 } from '../harness/imageFolders';

const top = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-export-images-'));
after(() => fs.rmSync(top, { recursive: true, force: true }));
const PNG = Buffer.from(PNG_BASE64, 'base64');
const GIF = Buffer.from(GIF_BASE64, 'base64');

let folders = 0;
function folder(name: string): string {
  const made = path.join(top, `${name}-${++folders}`);
  fs.mkdirSync(made, { recursive: true });
  return made;
}

/** A dataset folder with `images/good.png`, `images/a/cat.png` (a PNG) and `images/b/cat.png` (a GIF), and an image root with `rooted.png`. */
function datasetFolder(): { datasetDir: string; root: string } {
  const datasetDir = folder('dataset');
  const root = folder('root');
  for (const sub of ['images/a', 'images/b']) fs.mkdirSync(path.join(datasetDir, sub), { recursive: true });
  fs.writeFileSync(path.join(datasetDir, 'images', 'good.png'), PNG);
  fs.writeFileSync(path.join(datasetDir, 'images', 'a', 'cat.png'), PNG);
  fs.writeFileSync(path.join(datasetDir, 'images', 'b', 'cat.png'), GIF);
  fs.writeFileSync(path.join(root, 'rooted.png'), PNG);
  return { datasetDir, root };
}

const scored = { score: 1, correct: 4, total: 4, policy: 'test', rollouts: 12, createdAt: '2025-01-01T00:00:00.000Z' };

/**
 * A LLaVA-CoT record showing `image`, with its ground truth, accepted, its steps rated correct and scored by
 * rollouts, with a preference pair: every format has what it needs but the image.
 */
function llavaCot(image: string, id = 'lc-1'): JsonObject {
  return {
    id,
    image,
    answer: 'square',
    conversations: [
      { from: 'human', value: '<image>\nWhat is shown?' },
      {
        from: 'gpt',
        value:
          '<SUMMARY> I look. </SUMMARY>\n\n<CAPTION> A square. </CAPTION>\n\n<REASONING> It has four equal sides. </REASONING>\n\n<CONCLUSION> square </CONCLUSION>',
      },
    ],
    [ANNOTATION_KEY]: {
      version: 1,
      review: { status: 'accepted' },
      segments: Object.fromEntries([0, 1, 2, 3].map((segment) => [segment, { rating: 1, monteCarlo: scored }])),
      preferencePairs: [{ level: 'response', chosen: 'A square.', rejected: 'A circle.', origin: 'manual', createdAt: '2025-01-01T00:00:00.000Z' }],
    },
  };
}

function input(record: JsonObject, line: number): ExportInput {
  const read = readExportInput(JSON.stringify(record), line);
  assert.ok(!('refusal' in read), 'refusal' in read ? read.refusal : '');
  return read;
}

function writeDataset(datasetDir: string, records: JsonObject[]): string {
  const file = path.join(datasetDir, 'data.jsonl');
  fs.writeFileSync(file, records.map((record) => `${JSON.stringify(record)}\n`).join(''));
  return file;
}

function readLines(file: string): JsonObject[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JsonObject);
}

function options(datasetDir: string, outputPath: string, overrides: Partial<ExportOptions> = {}): ExportOptions {
  return exportOptionsSchema.parse({ datasetDir, outputPath, ...overrides });
}

/** Every image a line names: `images`, MMPR's `image`, OpenAI's image URLs. */
function namedImages(line: JsonObject): string[] {
  const text = JSON.stringify(line);
  const urls = [...text.matchAll(/"url":"([^"]+)"/g)].map((match) => match[1]);
  const listed = Array.isArray(line.images) ? line.images : typeof line.image === 'string' ? [line.image] : Array.isArray(line.image) ? line.image : [];
  return [...urls, ...listed.filter((image): image is string => typeof image === 'string')];
}

const WITH_IMAGES = exportFormatSchema.options.filter((format) => format !== 'prm800k' && format !== 'mulberry');

describe('images an export cannot find or may not read', () => {
  it('refuses the record with its line in every format, and never names a path that is not there', async () => {
    const { datasetDir } = datasetFolder();
    fs.writeFileSync(path.join(datasetDir, 'images', 'text.png'), 'not an image\n');
    const outside = path.join(folder('elsewhere'), 'secret.png');
    fs.writeFileSync(outside, PNG);
    const escaping = path.relative(datasetDir, outside);
    const records = [llavaCot('images/good.png'), llavaCot('images/missing.png'), llavaCot('images/text.png'), llavaCot(escaping), llavaCot(outside)];
    const inputs = records.map((record, index) => input(record, index + 1));
    for (const format of WITH_IMAGES) {
      const outputDir = folder('out');
      const outputPath = path.join(outputDir, 'out.jsonl');
      const result = await exportDataset(format, inputs, options(datasetDir, outputPath));
      const inline = format === 'openai-chat' || format === 'openai-dpo' ? 'cannot inline image: ' : '';
      assert.deepEqual(
        result.refusals,
        [
          { line: 2, reason: `${inline}image not found: images/missing.png` },
          { line: 3, reason: `${inline}images/text.png is not an image (its bytes are not PNG, JPEG, GIF, WebP, BMP or TIFF)` },
          { line: 4, reason: `${inline}${escaping} is outside the dataset folder and the cotStudio.imageRoots folders` },
          { line: 5, reason: `${inline}${outside} is outside the dataset folder and the cotStudio.imageRoots folders` },
        ],
        format,
      );
      const lines = readLines(outputPath);
      assert.ok(lines.length > 0, format);
      const base = format === 'mmpr' || format === 'visualprm-conversation' ? datasetDir : outputDir;
      for (const image of lines.flatMap(namedImages)) {
        if (image.startsWith('data:')) assert.equal(image, `data:image/png;base64,${PNG_BASE64}`, format);
        else assert.equal(fs.readFileSync(path.resolve(base, image)).toString('base64'), PNG_BASE64, `${format}: ${image}`);
      }
    }
  });

  it('the command line lists each refused line and exits 1; a URL is written only as OpenAI takes it', async () => {
    const { datasetDir } = datasetFolder();
    const file = writeDataset(datasetDir, [llavaCot('images/good.png'), llavaCot('images/none.png'), llavaCot('https://example.com/cat.png')]);
    const output = path.join(folder('out'), 'sft.jsonl');
    const run = await runCli('export', file, '--format', 'llamafactory-sharegpt', '-o', output);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(
      run.stderr,
      `${file}:2: not exported: image not found: images/none.png\n${file}:3: not exported: image https://example.com/cat.png is not a file: only the data-uri image mode writes it\n`,
    );
    assert.deepEqual(
      readLines(output).map((line) => line.images),
      [[path.relative(path.dirname(output), path.join(datasetDir, 'images', 'good.png'))]],
    );
    const openai = await runCli('export', file, '--format', 'openai-chat', '-o', path.join(path.dirname(output), 'openai.jsonl'));
    assert.equal(openai.stderr, `${file}:2: not exported: cannot inline image: image not found: images/none.png\n`);
    const urls = readLines(path.join(path.dirname(output), 'openai.jsonl')).flatMap(namedImages);
    assert.deepEqual(urls, [`data:image/png;base64,${PNG_BASE64}`, 'https://example.com/cat.png']);
  });
});

describe('--images modes', () => {
  /** The one image each format writes for a record showing images/good.png, exported to a folder apart from the dataset's. */
  async function writtenImage(format: ExportFormat, overrides: Partial<ExportOptions>): Promise<{ image: string; outputDir: string; datasetDir: string }> {
    const { datasetDir } = datasetFolder();
    const outputDir = folder('out');
    const result = await exportDataset(format, [input(llavaCot('images/good.png'), 1)], options(datasetDir, path.join(outputDir, 'out.jsonl'), overrides));
    assert.deepEqual(result.refusals, []);
    const [image] = readLines(path.join(outputDir, 'out.jsonl')).flatMap(namedImages);
    assert.ok(image !== undefined);
    return { image, outputDir, datasetDir };
  }

  it('relative (the default but for OpenAI) writes the path from the output folder, MMPR from meta.json root', async () => {
    for (const format of ['trl-sft', 'llamafactory-sharegpt', 'trl-kto', 'openai-chat'] as const) {
      const { image, outputDir, datasetDir } = await writtenImage(format, format === 'openai-chat' ? { images: 'relative' } : {});
      assert.equal(image, path.relative(outputDir, path.join(datasetDir, 'images', 'good.png')), format);
    }
    for (const format of ['mmpr', 'visualprm-conversation'] as const) {
      const { image } = await writtenImage(format, {});
      assert.equal(image, 'images/good.png', `${format}: as the record writes it, from the dataset folder`);
    }
    const { image, outputDir, datasetDir } = await writtenImage('visualprm', {});
    assert.equal(image, path.relative(outputDir, path.join(datasetDir, 'images', 'good.png')), 'the raw VisualPRM lines from the output folder');
  });

  it('absolute writes the file found, data-uri its bytes, and OpenAI inlines them unless told otherwise', async () => {
    const absolute = await writtenImage('trl-dpo', { images: 'absolute' });
    assert.equal(absolute.image, path.join(absolute.datasetDir, 'images', 'good.png'));
    assert.equal((await writtenImage('trl-sft', { images: 'data-uri' })).image, `data:image/png;base64,${PNG_BASE64}`);
    assert.equal((await writtenImage('openai-dpo', {})).image, `data:image/png;base64,${PNG_BASE64}`);
    assert.equal((await writtenImage('openai-chat', {})).image, `data:image/png;base64,${PNG_BASE64}`);
  });

  it('finds an image the dataset folder lacks in an image root and writes it in every mode', async () => {
    const { datasetDir, root } = datasetFolder();
    const outputDir = folder('out');
    for (const images of ['relative', 'absolute', 'copy'] as const) {
      const outputPath = path.join(outputDir, `${images}.jsonl`);
      const imagesDir = path.join(outputDir, 'copies');
      const result = await exportDataset(
        'trl-sft',
        [input(llavaCot('rooted.png'), 1)],
        options(datasetDir, outputPath, { imageRoots: [root], images, imagesDir: images === 'copy' ? imagesDir : undefined }),
      );
      assert.deepEqual(result.refusals, []);
      const [image] = readLines(outputPath).flatMap(namedImages);
      const expected = {
        relative: path.relative(outputDir, path.join(root, 'rooted.png')),
        absolute: path.join(root, 'rooted.png'),
        copy: 'copies/rooted.png',
      }[images];
      assert.equal(image, expected, images);
    }
  });

  it('copy puts each image beside the export once, takes another name rather than write over a file, and copies nothing new the second time', async () => {
    const { datasetDir } = datasetFolder();
    const outputDir = folder('out');
    const imagesDir = path.join(outputDir, 'media');
    fs.mkdirSync(imagesDir);
    fs.writeFileSync(path.join(imagesDir, 'cat.png'), 'a file of the user\n');
    const file = writeDataset(datasetDir, [
      llavaCot('images/a/cat.png', 'a'),
      llavaCot('images/b/cat.png', 'b'),
      llavaCot('images/a/cat.png', 'a-again'),
      llavaCot('images/good.png', 'good'),
    ]);
    const output = path.join(outputDir, 'sft.jsonl');
    const first = await runCli('export', file, '--format', 'llamafactory-sharegpt', '-o', output, '--images', 'copy', '--images-dir', imagesDir);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`; 3 images copied to ${imagesDir}\\n$`));
    assert.deepEqual(
      readLines(output).map((line) => line.images),
      [['media/cat-2.png'], ['media/cat-3.png'], ['media/cat-2.png'], ['media/good.png']],
    );
    assert.equal(fs.readFileSync(path.join(imagesDir, 'cat.png'), 'utf8'), 'a file of the user\n', 'a file already there is never written over');
    assert.deepEqual(fs.readFileSync(path.join(imagesDir, 'cat-2.png')), PNG);
    assert.deepEqual(fs.readFileSync(path.join(imagesDir, 'cat-3.png')), GIF);
    assert.deepEqual(fs.readdirSync(imagesDir).sort(), ['cat-2.png', 'cat-3.png', 'cat.png', 'good.png'], 'no temporary file is left');
    const again = await runCli('export', file, '--format', 'llamafactory-sharegpt', '-o', output, '--images', 'copy', '--images-dir', imagesDir);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /; 0 images copied to /);
    assert.deepEqual(
      readLines(output).map((line) => line.images),
      [['media/cat-2.png'], ['media/cat-3.png'], ['media/cat-2.png'], ['media/good.png']],
    );
  });

  it('copy for MMPR makes the output folder meta.json root, so the copies are found from it', async () => {
    const { datasetDir } = datasetFolder();
    const outputDir = folder('out');
    const outputPath = path.join(outputDir, 'mpo.jsonl');
    await exportDataset(
      'mmpr',
      [input(llavaCot('images/good.png'), 1)],
      options(datasetDir, outputPath, { images: 'copy', imagesDir: path.join(outputDir, 'img') }),
    );
    const meta = JSON.parse(fs.readFileSync(path.join(outputDir, 'meta.json'), 'utf8')) as Record<string, { root: string }>;
    assert.equal(meta.mpo.root, outputDir);
    const [line] = readLines(outputPath);
    assert.equal(line.image, 'img/good.png');
    assert.deepEqual(fs.readFileSync(path.join(meta.mpo.root, String(line.image))), PNG);
  });

  it('a copy folder that is a file, and options that do not fit, are usage errors', async () => {
    const { datasetDir } = datasetFolder();
    const file = writeDataset(datasetDir, [llavaCot('images/good.png')]);
    const output = path.join(folder('out'), 'out.jsonl');
    const aFile = path.join(top, 'a-file');
    fs.writeFileSync(aFile, '');
    const cases: [string[], RegExp][] = [
      [['--format', 'trl-sft', '--images', 'copy'], /--images copy needs --images-dir DIR/],
      [['--format', 'trl-sft', '--images-dir', top], /--images-dir is the folder of --images copy/],
      [['--format', 'trl-sft', '--images', 'path'], /--images must be one of relative, absolute, data-uri, copy/],
      [['--format', 'mmpr', '--images', 'data-uri'], /--images data-uri: mmpr writes image paths, which InternVL joins to meta\.json's root/],
      [['--format', 'visualprm-conversation', '--images', 'data-uri'], /visualprm-conversation writes image paths, which InternVL joins to meta\.json's root/],
      [['--format', 'visualprm', '--images', 'data-uri'], /visualprm writes image paths, which InternVL opens as files/],
      [['--format', 'prm800k', '--images', 'absolute'], /prm800k writes no images/],
      [
        ['--format', 'trl-sft', '--images', 'copy', '--images-dir', path.join(aFile, 'sub')],
        /cannot copy images into .*a-file\/sub: a part of the path is a file/,
      ],
      [['--format', 'trl-dpo', '--keep-incorrect'], /--keep-incorrect is for --format trl-sft/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli('export', file, '-o', output, ...args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
    assert.ok(!fs.existsSync(output), 'nothing is written');
  });
});

describe('--image-root that is not a folder', () => {
  it('is a usage error naming it in every command that takes it', async () => {
    const { datasetDir } = datasetFolder();
    const file = writeDataset(datasetDir, [llavaCot('images/good.png')]);
    const missing = path.join(top, 'no-such-folder');
    const aFile = path.join(top, 'root-file');
    fs.writeFileSync(aFile, '');
    const endpoint = ['--endpoint', 'http://127.0.0.1:9', '--endpoint-model', 'none'];
    const commands: string[][] = [
      ['validate', file],
      ['stats', file],
      ['export', file, '--format', 'trl-sft', '-o', path.join(top, 'never.jsonl')],
      ['regenerate', file, '--line', '1', '--segment', '0', ...endpoint],
      ['pairs', file, '--format', 'mmpr', '-o', path.join(top, 'never-pairs.jsonl'), ...endpoint],
    ];
    for (const command of commands) {
      const gone = await runCli(...command, '--image-root', missing);
      assert.equal(gone.code, 2, `${command[0]}: ${gone.stderr}`);
      assert.match(gone.stderr, new RegExp(`^cot-studio: --image-root ${missing}: the folder ${missing} does not exist\\n`), command[0]);
      const notFolder = await runCli(...command, '--image-root', aFile);
      assert.equal(notFolder.code, 2, `${command[0]}: ${notFolder.stderr}`);
      assert.match(notFolder.stderr, new RegExp(`--image-root ${aFile}: ${aFile} is not a folder`), command[0]);
    }
    assert.ok(!fs.existsSync(path.join(top, 'never.jsonl')) && !fs.existsSync(path.join(top, 'never-pairs.jsonl')));
  });
});
