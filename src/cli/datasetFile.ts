import * as fs from 'node:fs';
import * as path from 'node:path';
import { Dataset } from '../dataset';
import { type CheckContext, fileCheckContext } from '../dataset/checks';
import { type FormatId, formatIdSchema } from '../dataset/record';
import { UsageError } from './usage';

/** Options every dataset command takes: a forced format and extra folders to find images in. */
export const datasetOptions = {
  format: { type: 'string' },
  'image-root': { type: 'string', multiple: true },
} as const;

/** Runs `read` on the dataset file named on the command line; a missing or unreadable one is a usage error (exit 2). */
export function readingDatasetFile<T>(file: string | undefined, read: (file: string) => T): T {
  if (!file) throw new UsageError('missing FILE');
  try {
    return read(file);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function openDatasetFile(file: string | undefined): Promise<Dataset> {
  return Dataset.load(path.basename(file ?? ''), readingDatasetFile(file, (name) => fs.readFileSync(name)));
}

/** The format `--format` forces, or undefined to detect it per record. */
export function forcedFormat(format: string | undefined): FormatId | undefined {
  if (format === undefined) return undefined;
  const parsed = formatIdSchema.safeParse(format);
  if (!parsed.success) throw new UsageError(`unknown format '${format}'; one of ${formatIdSchema.options.join(', ')}`);
  return parsed.data;
}

export function checkContext(file: string, format: string | undefined, imageRoots: string[] | undefined): CheckContext {
  return fileCheckContext(file, imageRoots ?? [], forcedFormat(format));
}
