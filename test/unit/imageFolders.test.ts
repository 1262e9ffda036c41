import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkLine, fileCheckContext } from '../../src/dataset/checks';
import { ImageResolver, imageMimeType } from '../../src/dataset/images';
import { sampleImages } from '../../src/editor/sample';
import { runCli } from '../harness/cli';
import { acceptedDataUri, type ImageFolders, makeImageFolders, recordWithImage } from '../harness/imageFolders';

let folders: ImageFolders;
before(() => {
  folders = makeImageFolders();
});
after(() => folders.remove());

/** A dataset in the dataset folder with one record per case, in the cases' order (line n: case n-1). */
function writeDataset(name: string): string {
  const file = path.join(folders.datasetDir, name);
  fs.writeFileSync(file, folders.cases.map(({ image }) => `${JSON.stringify(recordWithImage(image))}\n`).join(''));
  return file;
}

describe('image types by their bytes', () => {
  const bytes = (...parts: Array<string | number[]>): Uint8Array =>
    Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));
  const bmp = (headerSize: number) => bytes('BM', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [headerSize, 0, 0, 0]);

  it('knows PNG, JPEG, GIF, WebP, BMP and TIFF, whatever the file is called', () => {
    assert.equal(imageMimeType(bytes([0x89], 'PNG\r\n\x1a\n')), 'image/png');
    assert.equal(imageMimeType(bytes([0xff, 0xd8, 0xff, 0xe0])), 'image/jpeg');
    assert.equal(imageMimeType(bytes('GIF87a')), 'image/gif');
    assert.equal(imageMimeType(bytes('GIF89a')), 'image/gif');
    assert.equal(imageMimeType(bytes('RIFF', [1, 2, 3, 4], 'WEBPVP8 ')), 'image/webp');
    assert.equal(imageMimeType(bmp(40)), 'image/bmp');
    assert.equal(imageMimeType(bytes('II*\0')), 'image/tiff');
    assert.equal(imageMimeType(bytes('MM\0*')), 'image/tiff');
  });

  it('refuses text, a RIFF that is no WebP, a "BM" without a bitmap header, and too few bytes', () => {
    assert.equal(imageMimeType(bytes('root:x:0:0:root:/root:/bin/bash\n')), null);
    assert.equal(imageMimeType(bytes('RIFF', [1, 2, 3, 4], 'WAVEfmt ')), null);
    assert.equal(imageMimeType(bmp(0x2e2e2e2e)), null);
    assert.equal(imageMimeType(bytes('BM')), null);
    assert.equal(imageMimeType(bytes([0x89], 'PN')), null);
    assert.equal(imageMimeType(new Uint8Array()), null);
  });
});

describe('the image folders every reader shares', () => {
  it('the editor shows images whose real path is in an allowed folder and a placeholder that says why for the rest', () => {
    const shown = sampleImages(
      folders.cases.map(({ image }) => image),
      [folders.datasetDir, folders.imageRoot],
      (file) => `webview:${file}`,
    );
    for (const [index, { what, image, accepted, refused }] of folders.cases.entries()) {
      const sample = shown[index];
      if (accepted) {
        assert.deepEqual(sample, { path: image, src: `webview:${accepted.at}`, problem: null }, what);
      } else {
        assert.equal(sample?.src, null, what);
        assert.ok(sample?.problem?.startsWith(refused ?? ''), `${what}: ${sample?.problem}`);
      }
    }
  });

  it('the editor compares real paths: folders reached through links still hold their images', () => {
    const datasetLink = path.join(folders.top, 'dataset-link');
    const rootLink = path.join(folders.top, 'roots-link');
    fs.symlinkSync(folders.datasetDir, datasetLink);
    fs.symlinkSync(folders.imageRoot, rootLink);
    const shown = sampleImages(['images/good.png', 'rooted.png', '../elsewhere/secret.png'], [datasetLink, rootLink], (file) => `webview:${file}`);
    assert.deepEqual(
      shown.map(({ src, problem }) => [src, problem]),
      [
        [`webview:${path.join(datasetLink, 'images', 'good.png')}`, null],
        [`webview:${path.join(rootLink, 'rooted.png')}`, null],
        [null, '../elsewhere/secret.png is outside the dataset folder and the cotStudio.imageRoots folders'],
      ],
    );
  });

  it('the checks warn for each image the record may not use, saying why', () => {
    const file = writeDataset('checked.jsonl');
    const context = fileCheckContext(file, [folders.imageRoot]);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    for (const [index, { what, refused }] of folders.cases.entries()) {
      const findings = checkLine(lines[index] ?? '', context).results.filter((result) => result.check === 'image-missing');
      if (refused === undefined) assert.deepEqual(findings, [], what);
      else {
        assert.equal(findings.length, 1, what);
        assert.ok(findings[0]?.message.startsWith(`images[0]: ${refused}`), `${what}: ${findings[0]?.message}`);
        assert.equal(findings[0]?.severity, 'warning');
      }
    }
  });

  it('export --images data-uri inlines only images in the allowed folders, typed by their bytes, and refuses the rest by line', async () => {
    const file = writeDataset('exported.jsonl');
    const output = path.join(folders.top, 'export.jsonl');
    const run = await runCli('export', file, '--format', 'openai-chat', '--images', 'data-uri', '--image-root', folders.imageRoot, '-o', output);
    assert.equal(run.code, 1, run.stderr);
    const refusals = run.stderr.trim().split('\n');
    const expected = folders.cases.flatMap(({ refused }, index) =>
      refused === undefined ? [] : [`${file}:${index + 1}: not exported: cannot inline image: ${refused}`],
    );
    assert.equal(refusals.length, expected.length, run.stderr);
    for (const [index, prefix] of expected.entries()) assert.ok(refusals[index]?.startsWith(prefix), `${refusals[index]} starts with ${prefix}`);
    const written = fs
      .readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { messages: Array<{ content: unknown }> });
    const inlined = written.map(({ messages }) => (messages[0]?.content as Array<{ image_url?: { url: string } }> | undefined)?.[0]?.image_url?.url);
    assert.deepEqual(
      inlined,
      folders.cases.flatMap(({ accepted }) => (accepted ? [acceptedDataUri(accepted)] : [])),
    );
    assert.equal(written.length + expected.length, folders.cases.length);
  });

  it('a model gets data URIs read at the time from the allowed folders, and nothing for the rest', () => {
    const resolver = new ImageResolver(folders.datasetDir, [folders.imageRoot]);
    for (const { what, image, accepted, refused } of folders.cases) {
      if (accepted) assert.deepEqual(resolver.forModel([image]), [acceptedDataUri(accepted)], what);
      else
        assert.throws(
          () => resolver.forModel([image]),
          (error: Error) => error.message.startsWith(refused ?? ''),
          what,
        );
    }
    // A link swapped after the editor looked: the bytes sent are checked when they are read, not from the cache.
    const swapped = path.join(folders.datasetDir, 'swapped.png');
    fs.symlinkSync(path.join(folders.datasetDir, 'images', 'good.png'), swapped);
    assert.equal(resolver.problem('swapped.png'), null);
    fs.unlinkSync(swapped);
    fs.symlinkSync(folders.outside, swapped);
    assert.throws(() => resolver.forModel(['swapped.png']), /swapped\.png is outside the dataset folder/);
  });
});
