import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExportOptions, Refusal } from './types';

const MIME_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
};

/** `http:`, `data:` and the like; two letters at least so that a Windows drive is not taken for one. */
const URL_SCHEME = /^[a-z][a-z0-9+.-]+:/i;

function isLocalRelative(image: string): boolean {
  return !URL_SCHEME.test(image) && !path.isAbsolute(image);
}

/**
 * An image path as seen from the output file's folder, so that the export finds its images wherever it is
 * written (LLaMA-Factory resolves them from its dataset folder, TRL users from the file's).
 */
export function imagePathFromOutput(image: string, options: Pick<ExportOptions, 'datasetDir' | 'outputPath'>): string {
  if (!isLocalRelative(image)) return image;
  const outputDir = path.dirname(path.resolve(options.outputPath));
  return path.relative(outputDir, path.resolve(options.datasetDir, image)).split(path.sep).join('/');
}

/** The image inlined as a base64 data URI; URLs are passed through as they are. */
export function imageDataUri(image: string, datasetDir: string): string | Refusal {
  if (URL_SCHEME.test(image)) return image;
  const mime = MIME_TYPES[path.extname(image).toLowerCase()];
  if (mime === undefined) return { refusal: `cannot inline image ${image}: unknown image type` };
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.resolve(datasetDir, image));
  } catch (error) {
    return { refusal: `cannot read image ${image}: ${error instanceof Error ? error.message : String(error)}` };
  }
  return `data:${mime};base64,${bytes.toString('base64')}`;
}
