import * as path from 'node:path';
import { ImageResolver } from '../dataset/images';
import type { ExportOptions, Refusal } from './types';

type ImageOptions = Pick<ExportOptions, 'datasetDir' | 'imageRoots'>;

/** `http:`, `data:` and the like; two letters at least so that a Windows drive is not taken for one. */
const URL_SCHEME = /^[a-z][a-z0-9+.-]+:/i;

function isLocalRelative(image: string): boolean {
  return !URL_SCHEME.test(image) && !path.isAbsolute(image);
}

/**
 * The file a relative image path names: in the dataset folder, else the first image root that holds it (as
 * the editor shows it), else where the dataset folder would hold it.
 */
function imageFile(image: string, options: ImageOptions): string {
  return new ImageResolver(options.datasetDir, options.imageRoots).resolve(image) ?? path.resolve(options.datasetDir, image);
}

const portable = (relative: string): string => relative.split(path.sep).join('/');

/**
 * An image path as seen from the output file's folder, so that the export finds its images wherever it is
 * written (LLaMA-Factory resolves them from its dataset folder, TRL users from the file's).
 */
export function imagePathFromOutput(image: string, options: ImageOptions & Pick<ExportOptions, 'outputPath'>): string {
  if (!isLocalRelative(image)) return image;
  return portable(path.relative(path.dirname(path.resolve(options.outputPath)), imageFile(image, options)));
}

/** An image path from the dataset folder, the root InternVL's `meta.json` names, for an image found in an image root too. */
export function imagePathFromDataset(image: string, options: ImageOptions): string {
  if (!isLocalRelative(image)) return image;
  return portable(path.relative(path.resolve(options.datasetDir), imageFile(image, options)));
}

/**
 * The image inlined as a base64 data URI, read only from under the dataset folder and the image roots and
 * only when its bytes are an image, since the export may be published; URLs are passed through as they are.
 */
export function imageDataUri(image: string, options: ImageOptions): string | Refusal {
  if (URL_SCHEME.test(image)) return image;
  const read = new ImageResolver(options.datasetDir, options.imageRoots).dataUri(image);
  return 'problem' in read ? { refusal: `cannot inline image: ${read.problem}` } : read.dataUri;
}
