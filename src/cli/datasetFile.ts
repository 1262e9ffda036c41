import * as fs from 'node:fs';
import * as path from 'node:path';
import { Dataset } from '../dataset';
import { recordLines } from '../dataset/recordLines';
import { errorMessage } from '../errors/message';
import { type CheckContext, fileCheckContext } from '../dataset/checks';
import { ImageResolver, imageRootProblem } from '../dataset/images';
import { type FormatId, formatIdSchema } from '../dataset/record';
import type { LineInput } from '../export/input';
import { jsonlInputs, parquetInputs } from '../export/streamedInputs';
import { FileSource } from '../files/byteSource';
import { describeFileError } from '../files/fileErrors';
import { spooledSource, withStandardInputFile } from '../files/standardInputFile';
import { textChunks } from '../files/textChunks';
import { isParquetPath, parquetToJsonl } from '../parquet/convert';
import { dataUriSink } from '../parquet/imageFiles';
import { UsageError } from './usage';

/** Options every dataset command takes: a forced format and extra folders to find images in. */
export const datasetOptions = {
  format: { type: 'string' },
  'image-root': { type: 'string', multiple: true },
} as const;

/**
 * The `--image-root` folders, resolved: one that does not exist or is not a folder is a usage error naming it,
 * since its images would be reported missing with no word of why.
 */
export function imageRootsOption(roots: readonly string[] | undefined): string[] {
  return (roots ?? []).map((root) => {
    const resolved = path.resolve(root);
    const problem = imageRootProblem(resolved);
    if (problem !== null) throw new UsageError(`--image-root ${root}: ${problem}`);
    return resolved;
  });
}

/** `-` names standard input, as FILE of the commands that only read it. */
export const STANDARD_INPUT = '-';

/**
 * Runs `read` on the dataset file named on the command line; a missing or unreadable one, a folder, and anything
 * but a regular file are usage errors (exit 2). Reading a FIFO or a device by name blocks until it has a writer,
 * or never ends: such input comes through standard input (`-`), which is read to its end.
 */
export function readingDatasetFile<T>(file: string | undefined, read: (file: string) => T): T {
  if (!file) throw new UsageError('missing FILE');
  if (file !== STANDARD_INPUT) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${describeFileError(error)}`);
    }
    if (stat.isDirectory()) throw new UsageError(`${file} is a folder; give a JSONL file`);
    if (!stat.isFile())
      throw new UsageError(
        `${file} is not a regular file (a FIFO, a device or a socket); pass its content on standard input as - instead, e.g. cot-studio <command> - < ${file}`,
      );
  }
  try {
    return read(file);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${describeFileError(error)}`);
  }
}

/**
 * A dataset that is not a JSONL file on disk: standard input's for `-`, a `.parquet` file's rows as JSONL lines
 * (row N on line N, embedded images as data URIs), so that every read command takes Parquet datasets as they are
 * published. Either is copied to a temporary file and read from it as a JSONL file is, so its size does not matter.
 */
async function copiedDataset(file: string): Promise<Dataset> {
  readingDatasetFile(file, (name) => name);
  const chunks = file === STANDARD_INPUT ? process.stdin : textChunks(parquetToJsonl(file, dataUriSink));
  const source = await spooledSource(chunks);
  return Dataset.read(path.basename(file), source);
}

/** Whether a dataset named on the command line is copied to a temporary file first (standard input, Parquet) rather than opened. */
export const isCopiedDataset = (file: string): boolean => file === STANDARD_INPUT || isParquetPath(file);

/**
 * The dataset named on the command line. A JSONL file is opened and read a line at a time, so its size does not
 * matter; the command closes it when it ends (`using`).
 */
export async function openDatasetFile(file: string | undefined): Promise<Dataset> {
  if (file !== undefined && isCopiedDataset(file)) return copiedDataset(file);
  const source = readingDatasetFile(file, (name) => FileSource.open(name));
  return Dataset.read(path.basename(source.path), source);
}

/** The one FILE a command that changes or reads records for a model names: a usage error for none or more. */
export function oneFile(positionals: readonly string[]): string {
  const [file, extra] = positionals;
  if (file === undefined) throw new UsageError('give one FILE');
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'; give one FILE`);
  return file;
}

/**
 * The dataset a model is asked about (`mc-score`, `prelabel`), read as `--format` says, with its checks and where its
 * records' images are found: relative to the dataset's folder, not to where the command runs, then `--image-root`.
 */
export async function openForModel(
  file: string,
  values: { format?: string | undefined; 'image-root'?: string[] | undefined },
): Promise<{ dataset: Dataset; checks: CheckContext; imageRoots: string[]; images: ImageResolver }> {
  const imageRoots = imageRootsOption(values['image-root']);
  const checks = checkContext(file, values.format, imageRoots);
  const dataset = await openDatasetFile(file);
  dataset.format = checks.format;
  return { dataset, checks, imageRoots, images: new ImageResolver(path.dirname(path.resolve(file)), imageRoots) };
}

/** A JSONL file is read a megabyte at a time. */
const READ_BYTES = 1 << 20;

/**
 * Runs `read` on the records of the dataset file named on the command line (and on its name), read as `read`
 * goes: a JSONL file a block of lines at a time, a `.parquet` file a row group at a time, each pass opening it
 * afresh, so memory does not grow with the file. Standard input comes once: when `read` passes over the
 * records twice (`rereads`), it is copied to a temporary file first. A file that cannot be opened is a usage
 * error (exit 2), found before `read` starts.
 */
export async function withDatasetInputs<T>(
  file: string | undefined,
  options: { format?: FormatId; rereads: boolean },
  read: (inputs: AsyncIterable<LineInput>, file: string) => Promise<T>,
): Promise<T> {
  const source = readingDatasetFile(file, (name) => {
    if (name !== STANDARD_INPUT) fs.closeSync(fs.openSync(name, 'r'));
    return name;
  });
  const name = path.basename(source);
  const fromFile = (jsonl: string) => jsonlInputs(name, () => fs.createReadStream(jsonl, { highWaterMark: READ_BYTES }), options.format);
  if (source !== STANDARD_INPUT) return read(isParquetPath(source) ? parquetInputs(source, options.format) : fromFile(source), source);
  return options.rereads
    ? withStandardInputFile((copy) => read(fromFile(copy), source))
    : read(
        jsonlInputs(name, () => process.stdin, options.format),
        source,
      );
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

/** The 1-based line `--line` names, checked to hold a record. */
export function recordLine(dataset: Dataset, file: string, line: number | undefined, allNote?: string): number {
  if (line === undefined) throw new UsageError(allNote === undefined ? '--line N is required' : `--line N is required (or ${allNote})`);
  if (dataset.recordIndexOfLine(line - 1) === -1) throw new UsageError(`--line: ${file} has no record on line ${line} (${dataset.lineCount} lines)`);
  return line;
}

const LINE_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/**
 * The lines `--lines 1,5-9` names: a single line must hold a record; a range takes the records inside it,
 * so a blank line in the middle of one is no error.
 */
function listedLines(dataset: Dataset, list: string): number[] {
  if (!LINE_LIST.test(list)) throw new UsageError(`--lines: expected 1-based lines and ranges such as 1,5-9, got '${list}'`);
  return list.split(',').flatMap((part) => {
    const [first, last] = part.split('-').map(Number);
    if (last === undefined) return [first];
    if (last < first || last > dataset.lineCount)
      throw new UsageError(`--lines: ${part} is not a range of lines of ${dataset.fileName} (${dataset.lineCount} lines)`);
    return Array.from({ length: last - first + 1 }, (_, index) => first + index).filter((line) => dataset.recordIndexOfLine(line - 1) !== -1);
  });
}

/** The 1-based lines of the records `--lines` names, in order, or of every record without it. */
export function linesOption(dataset: Dataset, list: string | undefined): number[] {
  try {
    return recordLines(dataset, list === undefined ? undefined : listedLines(dataset, list));
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError(`--lines: ${errorMessage(error)}`);
  }
}
