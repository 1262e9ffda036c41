import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A valid 1×1 PNG. */
export const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
/** A valid 1×1 GIF. */
export const GIF_BASE64 = 'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';

/** What a record may name, and whether any reader may use it: the answer is the same for all of them. */
export interface ImageCase {
  what: string;
  /** The image path as the record writes it. */
  image: string;
  /** Where the image is found (`at`, what the webview loads) and the file whose bytes are passed on, of this type. */
  accepted?: { at: string; file: string; mime: string };
  /** The start of the problem a reader that refuses it names. */
  refused?: string;
}

export interface ImageFolders {
  /** Holds everything; removed by `remove`. */
  top: string;
  datasetDir: string;
  imageRoot: string;
  /** A PNG outside both folders, the target of the escapes. */
  outside: string;
  cases: ImageCase[];
  remove(): void;
}

const OUTSIDE = 'is outside the dataset folder and the cotStudio.imageRoots folders';

/**
 * A dataset folder and an image root in a temporary folder, with real files and real links: the escapes a
 * crafted dataset may try (a link to a file outside, an absolute path, `../`, text named .png) and the
 * images it may use (in the folder, in the image root, a link to a file inside, a GIF named .png).
 */
export function makeImageFolders(): ImageFolders {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-images-'));
  const datasetDir = path.join(top, 'dataset');
  const imageRoot = path.join(top, 'roots');
  const outsideDir = path.join(top, 'elsewhere');
  for (const dir of [datasetDir, path.join(datasetDir, 'images'), imageRoot, outsideDir]) fs.mkdirSync(dir);
  const png = Buffer.from(PNG_BASE64, 'base64');
  // The file outside is a real PNG, so that only the folder check can refuse it.
  const outside = path.join(outsideDir, 'secret.png');
  fs.writeFileSync(outside, png);
  const good = path.join(datasetDir, 'images', 'good.png');
  fs.writeFileSync(good, png);
  fs.writeFileSync(path.join(imageRoot, 'rooted.png'), png);
  fs.writeFileSync(path.join(datasetDir, 'images', 'gif.png'), Buffer.from(GIF_BASE64, 'base64'));
  fs.writeFileSync(path.join(datasetDir, 'images', 'passwd.png'), 'root:x:0:0:root:/root:/bin/bash\n');
  fs.symlinkSync(outside, path.join(datasetDir, 'images', 'linked-out.png'));
  fs.symlinkSync(good, path.join(datasetDir, 'linked-in.png'));
  const cases: ImageCase[] = [
    { what: 'a link inside the dataset folder to a file outside', image: 'images/linked-out.png', refused: `images/linked-out.png ${OUTSIDE}` },
    { what: 'an absolute path outside', image: outside, refused: `${outside} ${OUTSIDE}` },
    { what: 'a ../ escape', image: '../elsewhere/secret.png', refused: `../elsewhere/secret.png ${OUTSIDE}` },
    { what: 'text named .png inside the folder', image: 'images/passwd.png', refused: 'images/passwd.png is not an image' },
    { what: 'a missing image', image: 'images/none.png', refused: 'image not found: images/none.png' },
    { what: 'a PNG inside the folder', image: 'images/good.png', accepted: { at: good, file: good, mime: 'image/png' } },
    {
      what: 'a PNG in an image root',
      image: 'rooted.png',
      accepted: { at: path.join(imageRoot, 'rooted.png'), file: path.join(imageRoot, 'rooted.png'), mime: 'image/png' },
    },
    {
      what: 'a link inside to another file inside',
      image: 'linked-in.png',
      accepted: { at: path.join(datasetDir, 'linked-in.png'), file: good, mime: 'image/png' },
    },
    {
      what: 'a GIF named .png (the type comes from the bytes)',
      image: 'images/gif.png',
      accepted: { at: path.join(datasetDir, 'images', 'gif.png'), file: path.join(datasetDir, 'images', 'gif.png'), mime: 'image/gif' },
    },
  ];
  return { top, datasetDir, imageRoot, outside, cases, remove: () => fs.rmSync(top, { recursive: true, force: true }) };
}

/** The data URI a reader that accepts the case passes on. */
export function acceptedDataUri(accepted: { file: string; mime: string }): string {
  return `data:${accepted.mime};base64,${fs.readFileSync(accepted.file).toString('base64')}`;
}

/** A think/answer chat record that shows its one image to the model. */
export function recordWithImage(image: string): Record<string, unknown> {
  return {
    messages: [
      { role: 'user', content: '<image>What is shown?' },
      { role: 'assistant', content: '<think>A square.</think><answer>square</answer>' },
    ],
    images: [image],
  };
}
