import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeFileError, errorCode } from '../files/fileErrors';
import { errorMessage } from '../errors/message';

/** Where an image may be read from, or why it may not. */
export type LocatedImage = { file: string } | { inline: string } | { problem: string };

/** The kind of a file's bytes as a MIME type, by their magic number; null when they are no image this product passes on. */
export function imageMimeType(bytes: Uint8Array): string | null {
  const ascii = (start: number, end: number): string => String.fromCharCode(...bytes.subarray(start, end));
  if (bytes.length >= 8 && bytes[0] === 0x89 && ascii(1, 8) === 'PNG\r\n\x1a\n') return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'image/gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'image/tiff';
  // Two letters alone would take text that starts with "BM" for a bitmap: the DIB header size must be a known one.
  if (ascii(0, 2) === 'BM' && bytes.length >= 18 && BMP_HEADER_SIZES.has(new DataView(bytes.buffer, bytes.byteOffset).getUint32(14, true))) return 'image/bmp';
  return null;
}

const BMP_HEADER_SIZES: ReadonlySet<number> = new Set([12, 16, 40, 52, 56, 64, 108, 124]);
/** Enough of a file's start for every magic number above. */
const HEADER_BYTES = 18;

function readHeader(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    return header.subarray(0, fs.readSync(fd, header, 0, HEADER_BYTES, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/** The MIME type of the bytes `read` gives, or why there is none: unreadable, or not an image. */
function sniffImage(imagePath: string, read: () => Buffer): { mime: string; bytes: Buffer } | { problem: string } {
  let bytes: Buffer;
  try {
    bytes = read();
  } catch (error) {
    return { problem: `cannot read image ${imagePath}: ${errorMessage(error)}` };
  }
  const mime = imageMimeType(bytes);
  return mime === null ? { problem: `${imagePath} is not an image (its bytes are not PNG, JPEG, GIF, WebP, BMP or TIFF)` } : { mime, bytes };
}

/** Why a configured image root cannot be used (missing, not a folder), or null when it is a folder. */
export function imageRootProblem(root: string): string | null {
  try {
    return fs.statSync(root).isDirectory() ? null : `${root} is not a folder`;
  } catch (error) {
    return errorCode(error) === 'ENOENT' ? `the folder ${root} does not exist` : `cannot read the folder ${root}: ${describeFileError(error)}`;
  }
}

/** The real path of a file or folder (links followed), or null when there is none. */
function realPath(file: string): string | null {
  try {
    return fs.realpathSync(file);
  } catch {
    return null;
  }
}

function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

/**
 * Finds image files the way records name them: relative to the dataset's folder or to one of the
 * configured image roots (absolute paths as they are), and decides whether the product may read them. Every
 * reader of a record's image (the editor, the checks, exports, models) goes through here. Lookups are cached:
 * a 100K-record file names the same few thousand images again and again.
 */
export class ImageResolver {
  private readonly found = new Map<string, string | null>();
  private readonly located = new Map<string, LocatedImage>();
  private realRoots: string[] | undefined;

  constructor(
    private readonly datasetDir: string,
    private readonly imageRoots: readonly string[] = [],
    /** How a refusal names the allowed folders to whoever reads it. */
    private readonly allowedFolders = 'the dataset folder and the cotStudio.imageRoots folders',
  ) {}

  /** The file an image path refers to, or null when no root holds it. */
  resolve(imagePath: string): string | null {
    const cached = this.found.get(imagePath);
    if (cached !== undefined) return cached;
    const candidates = path.isAbsolute(imagePath) ? [imagePath] : [this.datasetDir, ...this.imageRoots].map((root) => path.resolve(root, imagePath));
    const found = candidates.find((candidate) => fs.existsSync(candidate)) ?? null;
    this.found.set(imagePath, found);
    return found;
  }

  /**
   * An image the product may show (in the webview) or check: an inline `data:` image, or a file whose real
   * path (links followed) lies under the real dataset folder or an image root and whose bytes start as an
   * image. The file is the path as found, so that the webview loads it from under its resource roots.
   * Remote images are never fetched.
   */
  locate(imagePath: string): LocatedImage {
    const cached = this.located.get(imagePath);
    if (cached !== undefined) return cached;
    const found = this.allowed(imagePath);
    let located: LocatedImage = found;
    if ('real' in found) {
      const sniffed = sniffImage(imagePath, () => readHeader(found.real));
      located = 'problem' in sniffed ? sniffed : { file: found.file };
    }
    this.located.set(imagePath, located);
    return located;
  }

  /** Why the record's image cannot be used (missing, outside the allowed folders, not an image), or null when it can. */
  problem(imagePath: string): string | null {
    const located = this.locate(imagePath);
    return 'problem' in located ? located.problem : null;
  }

  /**
   * The image as a data URI, read and checked now (not from the cache) since its bytes leave the machine or
   * the dataset: the real path must be under the allowed folders and the bytes an image, whose MIME type
   * they give (the extension may lie).
   */
  dataUri(imagePath: string): { dataUri: string } | { problem: string } {
    if ('inline' in this.allowed(imagePath)) return { dataUri: imagePath };
    const read = this.bytes(imagePath);
    return 'problem' in read ? read : { dataUri: `data:${read.mime};base64,${read.bytes.toString('base64')}` };
  }

  /** The image's bytes and MIME type, read and checked now as `dataUri` does; an inline base64 `data:` image is decoded. */
  bytes(imagePath: string): { mime: string; bytes: Buffer } | { problem: string } {
    const found = this.allowed(imagePath);
    if ('problem' in found) return found;
    if ('inline' in found) {
      const base64 = /^data:[^,]*;base64,/i.exec(found.inline);
      if (!base64) return { problem: `${imagePath.slice(0, 40)}… is not a base64 data URI` };
      return sniffImage(imagePath.slice(0, 40), () => Buffer.from(found.inline.slice(base64[0].length), 'base64'));
    }
    return sniffImage(imagePath, () => fs.readFileSync(found.real));
  }

  /** The bytes of an image file, read and checked now like `dataUri`'s (an inline image has no file to read). */
  read(imagePath: string): { bytes: Buffer } | { problem: string } {
    const found = this.allowed(imagePath);
    if ('inline' in found) return { problem: 'an inline data: image is not a file' };
    if ('problem' in found) return found;
    return sniffImage(imagePath, () => fs.readFileSync(found.real));
  }

  /** A record's images as a model gets them, data URIs read through `dataUri`; throws naming the first it cannot give. */
  forModel(imagePaths: readonly string[]): string[] {
    return imagePaths.map((imagePath) => {
      const read = this.dataUri(imagePath);
      if ('problem' in read) throw new Error(read.problem);
      return read.dataUri;
    });
  }

  /** The path as found and its real path when it is under the allowed folders; an inline image; or why neither. */
  private allowed(imagePath: string): { file: string; real: string } | { inline: string } | { problem: string } {
    if (/^https?:/i.test(imagePath)) return { problem: 'remote images are not loaded' };
    if (/^data:image\//i.test(imagePath)) return { inline: imagePath };
    const found = this.resolve(imagePath);
    const real = found === null ? null : realPath(found);
    if (found === null || real === null) return { problem: `image not found: ${imagePath}` };
    // Compared as real paths: a link inside the dataset folder may point anywhere.
    const inside = this.allowedRoots().some((root) => isInside(root, real));
    return inside ? { file: path.resolve(found), real } : { problem: `${imagePath} is outside ${this.allowedFolders}` };
  }

  private allowedRoots(): string[] {
    this.realRoots ??= [this.datasetDir, ...this.imageRoots].map(realPath).filter((root) => root !== null);
    return this.realRoots;
  }
}
