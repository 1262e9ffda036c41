import * as fs from 'node:fs';
import * as path from 'node:path';
import { IMAGE_KEYS } from '../dataset/formats/fields';
import { ImageResolver, imageMimeType } from '../dataset/images';
import { temporaryPath } from '../files/temporaryFiles';
import type { Embedded, EmbeddedSink } from './readParquet';
import { isValueObject, type Value, type ValueObject } from './value';
import type { SizedRecord } from './writeParquet';

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/tiff': 'tiff',
  'image/bmp': 'bmp',
};

/** The folder beside a JSONL file that holds the files its Parquet source embedded: `train.jsonl` -> `train_images`. */
export function imageFolder(jsonlPath: string): { name: string; folder: string } {
  const name = `${path.basename(jsonlPath, path.extname(jsonlPath))}_images`;
  return { name, folder: path.join(path.dirname(path.resolve(jsonlPath)), name) };
}

/** An image's extension from its bytes (the stored name may lie); other files keep their stored name's, else `bin`. */
function extensionOf(embedded: Embedded): string {
  const mime = imageMimeType(embedded.bytes);
  if (mime !== null) return EXTENSIONS[mime];
  const stored = embedded.path === null ? '' : path.extname(embedded.path).slice(1).toLowerCase();
  return /^[a-z0-9]{1,8}$/.test(stored) ? stored : 'bin';
}

/**
 * Writes each embedded file as `<row>-<index>.<ext>` into the image folder beside `jsonlPath` (made when the
 * first file comes), each through a temporary file renamed into place, and refers to it by its path from the
 * JSONL file's folder, where the product looks for a record's images.
 */
export function imageFolderSink(jsonlPath: string): EmbeddedSink {
  const { name: folderName, folder } = imageFolder(jsonlPath);
  let made = false;
  return (embedded) => {
    if (!made) fs.mkdirSync(folder, { recursive: true });
    made = true;
    const name = `${embedded.row}-${embedded.index}.${extensionOf(embedded)}`;
    const file = path.join(folder, name);
    const temporary = temporaryPath(file);
    fs.writeFileSync(temporary, embedded.bytes, { flag: 'wx' });
    fs.renameSync(temporary, file);
    return `${folderName}/${name}`;
  };
}

/** Inlines each embedded file as a data URI: for reading a Parquet file without writing anything beside it. */
export const dataUriSink: EmbeddedSink = (embedded) =>
  `data:${imageMimeType(embedded.bytes) ?? 'application/octet-stream'};base64,${Buffer.from(embedded.bytes).toString('base64')}`;

/** A record's image that cannot be embedded; the message names the file, the line and the field. */
export class ImageEmbedError extends Error {}

/**
 * The record with the images of its `image_path`, `image` and `images` keys (a path, a `{"path": ...}` object,
 * or a list of them) as Hugging Face `Image` structs `{bytes, path}`, the bytes read from under the file's
 * folder and the image roots. With `readBytes` false the bytes are left empty: the shape of the records
 * does not depend on them, and only the images' presence is checked.
 */
export function embedImages(source: string, line: number, record: ValueObject, resolver: ImageResolver, readBytes: boolean): SizedRecord {
  let bytes = 0;
  const embed = (item: Value, field: string): Value => {
    const imagePath = typeof item === 'string' ? item : isValueObject(item) && typeof item.path === 'string' ? item.path : undefined;
    if (imagePath === undefined) return item;
    if (!readBytes) {
      const problem = resolver.problem(imagePath);
      if (problem !== null) throw new ImageEmbedError(`${source}:${line}: ${field}: ${problem}`);
      return { bytes: new Uint8Array(0), path: imagePath };
    }
    const read = resolver.bytes(imagePath);
    if ('problem' in read) throw new ImageEmbedError(`${source}:${line}: ${field}: ${read.problem}`);
    bytes += read.bytes.length;
    return { bytes: read.bytes, path: imagePath };
  };
  const embedded: ValueObject = { ...record };
  for (const key of IMAGE_KEYS) {
    const value = record[key];
    if (value === undefined || value === null) continue;
    embedded[key] = Array.isArray(value) ? value.map((item, index) => embed(item, `${key}[${index}]`)) : embed(value, key);
  }
  return { record: embedded, bytes };
}

/** The resolver of images for records of `source`: its folder, then the image roots. */
export function sourceImages(source: string, imageRoots: readonly string[]): ImageResolver {
  return new ImageResolver(
    path.dirname(path.resolve(source)),
    imageRoots.map((root) => path.resolve(root)),
  );
}
