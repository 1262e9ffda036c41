import * as path from 'node:path';
import { z } from 'zod';
import { ImageResolver } from '../dataset/images';
import { ImageCopies } from './imageCopies';
import type { ExportFormat, ExportOptions, ImageMode, Refusal } from './types';

/**
 * The way a format writes images unless told: OpenAI fine-tuning accepts only http(s) URLs and base64 data
 * URLs, so its formats inline the bytes; every other trainer reads files, found from the output's folder
 * (LLaMA-Factory's `media_dir` defaults to the folder of `dataset_info.json`, which is the output's).
 */
export function defaultImageMode(format: ExportFormat): ImageMode {
  return format === 'openai-chat' || format === 'openai-dpo' ? 'data-uri' : 'relative';
}

/** InternVL's formats, whose tools open each image as a file. */
const INTERNVL: ReadonlySet<ExportFormat> = new Set(['mmpr', 'visualprm', 'visualprm-conversation']);

/** InternVL's training data, listed in a meta.json beside it whose `root` (the dataset folder) its image paths start from. */
export const FROM_META_ROOT: ReadonlySet<ExportFormat> = new Set(['mmpr', 'visualprm-conversation']);

/** InternVL's `image`: one path as a string, several as a list. */
export const internVlImageSchema = z.union([z.string(), z.array(z.string()).min(2)]);

export function internVlImage(paths: string[]): string | string[] {
  return paths.length === 1 ? paths[0] : paths;
}

/** Why the image options do not fit the format, or null when they do. */
export function imageOptionsProblem(format: ExportFormat, options: Pick<ExportOptions, 'images' | 'imagesDir'>): string | null {
  if (format === 'prm800k' && options.images !== undefined) return 'prm800k writes no images (its problem keeps the <image> placeholders)';
  if (INTERNVL.has(format) && options.images === 'data-uri') {
    const from = FROM_META_ROOT.has(format) ? ", which InternVL joins to meta.json's root" : ', which InternVL opens as files';
    return `${format} writes image paths${from}; choose relative, absolute or copy`;
  }
  if (options.images === 'copy' && options.imagesDir === undefined) return 'copying images needs the folder to copy them into';
  if (options.images !== 'copy' && options.imagesDir !== undefined) return 'a folder for images is only for copying them (images: copy)';
  return null;
}

/** Inline images, and the remote ones OpenAI fetches itself: only a data URI or a URL can carry them. */
const REMOTE = /^https?:/i;
const INLINE = /^data:image\//i;

const portable = (relative: string): string => relative.split(path.sep).join('/');

/**
 * The images of one export: each record's image is looked up as the editor finds it (the dataset folder, then
 * the image roots) and must be one the product may read (under those folders, an image by its bytes); one
 * that is not refuses the record, naming why, so no line names a file that is not there. Found images are
 * written as the mode says. Copies are planned as lines are made and written by `writeCopies`.
 */
export class ExportImages {
  private readonly mode: ImageMode;
  /** The folder relative paths start from: InternVL's meta.json `root` (the dataset folder), else the output's folder. */
  readonly base: string;
  private readonly resolver: ImageResolver;
  private readonly copies: ImageCopies | undefined;

  constructor(format: ExportFormat, options: Pick<ExportOptions, 'datasetDir' | 'imageRoots' | 'outputPath' | 'images' | 'imagesDir'>) {
    this.mode = options.images ?? defaultImageMode(format);
    const outputDir = path.dirname(path.resolve(options.outputPath));
    this.base = FROM_META_ROOT.has(format) && this.mode !== 'copy' ? path.resolve(options.datasetDir) : outputDir;
    this.resolver = new ImageResolver(options.datasetDir, options.imageRoots);
    if (this.mode === 'copy') {
      if (options.imagesDir === undefined) throw new Error('copying images needs the folder to copy them into');
      this.copies = new ImageCopies(path.resolve(options.imagesDir), this.resolver);
    }
  }

  /** The record's images as its line writes them, or a refusal naming the first that cannot be written. */
  paths(images: readonly string[]): string[] | Refusal {
    const written: string[] = [];
    for (const image of images) {
      const one = this.path(image);
      if (typeof one !== 'string') return one;
      written.push(one);
    }
    return written;
  }

  /** Writes the copies planned so far (none unless the mode is `copy`); returns how many were written. */
  async writeCopies(): Promise<number> {
    return this.copies ? this.copies.write() : 0;
  }

  private path(image: string): string | Refusal {
    if (this.mode === 'data-uri') {
      if (REMOTE.test(image)) return image;
      const read = this.resolver.dataUri(image);
      return 'problem' in read ? { refusal: `cannot inline image: ${read.problem}` } : read.dataUri;
    }
    if (REMOTE.test(image) || INLINE.test(image)) {
      const shown = image.length > 40 ? `${image.slice(0, 40)}...` : image;
      return { refusal: `image ${shown} is not a file: only the data-uri image mode writes it` };
    }
    const located = this.resolver.locate(image);
    if ('problem' in located) return { refusal: located.problem };
    if (!('file' in located)) return { refusal: `image ${image} is not a file` };
    if (this.mode === 'absolute') return located.file;
    const file = this.copies ? this.copies.place(image, located.file) : located.file;
    return portable(path.relative(this.base, file));
  }
}
