import * as fs from 'node:fs';
import * as path from 'node:path';
import { Dataset } from '../dataset';
import type { CheckContext } from '../dataset/checks';
import { ImageResolver } from '../dataset/images';
import { type FormatId, formatIdSchema } from '../dataset/record';
import { UsageError } from './usage';

/** Options every dataset command takes: a forced format and extra folders to find images in. */
export const datasetOptions = {
  format: { type: 'string' },
  'image-root': { type: 'string', multiple: true },
} as const;

export async function openDatasetFile(file: string | undefined): Promise<Dataset> {
  if (!file) throw new UsageError('missing FILE');
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return Dataset.load(path.basename(file), bytes);
}

export function checkContext(file: string, format: string | undefined, imageRoots: string[] | undefined): CheckContext {
  let forced: FormatId | undefined;
  if (format !== undefined) {
    const parsed = formatIdSchema.safeParse(format);
    if (!parsed.success) throw new UsageError(`unknown format '${format}'; one of ${formatIdSchema.options.join(', ')}`);
    forced = parsed.data;
  }
  const images = new ImageResolver(path.dirname(path.resolve(file)), imageRoots ?? []);
  return { imageExists: (image) => images.exists(image), format: forced };
}
