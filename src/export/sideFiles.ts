import * as fs from 'node:fs';
import * as path from 'node:path';
import { isJsonObject, type Json, type JsonObject } from '../dataset/record';
import { atomicWrite } from '../files/atomicWrite';
import { describeFileError, errorCode } from '../files/fileErrors';
import { fileIdentity } from '../files/fileIdentity';
import { withFileLock } from '../files/fileLock';
import { FROM_META_ROOT } from './images';
import type { ExportFormat } from './types';

/** Another export adding its entry takes a moment; wait that long for it. */
const REGISTRY_WAIT_MS = 30_000;

export interface ExportSummary {
  outputPath: string;
  /** Lines written. */
  count: number;
  datasetName: string;
  /** The folder InternVL's image paths start from, meta.json's `root`: the dataset's, or the output's when images are copied. */
  root: string;
  /** The kind of line the file holds, for formats with several (LLaMA-Factory: `sft` or `ranking`). */
  lineKind?: string;
  /** Some line carries a system prompt (LLaMA-Factory then names its `system` column). */
  hasSystem?: boolean;
}

/** One entry to put in a registry file beside the export. */
export interface SideFile {
  path: string;
  /** The export's name in the registry. */
  name: string;
  entry: JsonObject;
}

/** The registry file a format keeps beside its exports, if any. */
function registryPath(format: ExportFormat, outputPath: string): string | undefined {
  const folder = path.dirname(path.resolve(outputPath));
  if (format === 'llamafactory-sharegpt') return path.join(folder, 'dataset_info.json');
  if (FROM_META_ROOT.has(format)) return path.join(folder, 'meta.json');
  return undefined;
}

/**
 * The registry files trainers read next to an export: LLaMA-Factory's `dataset_info.json` and InternVL's
 * `meta.json`, in the output's folder. Both hold many datasets, so an existing file keeps its other entries.
 */
export function sideFiles(format: ExportFormat, summary: ExportSummary): SideFile[] {
  const file = registryPath(format, summary.outputPath);
  if (file === undefined) return [];
  if (format === 'llamafactory-sharegpt') return [{ path: file, name: summary.datasetName, entry: datasetInfoEntry(summary) }];
  const entry = {
    root: path.resolve(summary.root),
    annotation: path.resolve(summary.outputPath),
    data_augment: false,
    repeat_time: 1,
    length: summary.count,
  };
  return [{ path: file, name: summary.datasetName, entry }];
}

function datasetInfoEntry(summary: ExportSummary): JsonObject {
  const ranking = summary.lineKind === 'ranking';
  return {
    file_name: path.basename(summary.outputPath),
    formatting: 'sharegpt',
    ...(ranking ? { ranking: true } : {}),
    columns: {
      messages: 'conversations',
      images: 'images',
      ...(summary.hasSystem === true ? { system: 'system' } : {}),
      ...(ranking ? { chosen: 'chosen', rejected: 'rejected' } : {}),
    },
    tags: { role_tag: 'from', content_tag: 'value', user_tag: 'human', assistant_tag: 'gpt' },
  };
}

/** Checks, before an export starts, that its registry file can be read and kept: an export never loses the other entries. */
export function checkSideFiles(format: ExportFormat, outputPath: string): void {
  const file = registryPath(format, outputPath);
  if (file !== undefined) readRegistry(file);
}

/** Adds the entry to its registry under a lock, read afresh, so that exports into one folder at once keep each other's entries. */
export async function writeSideFile(side: SideFile): Promise<void> {
  await withFileLock(side.path, { purpose: 'cot-studio export', waitMs: REGISTRY_WAIT_MS }, async () => {
    const expected = (await fileIdentity(side.path)) ?? 'missing';
    const content = `${JSON.stringify({ ...readRegistry(side.path), [side.name]: side.entry }, null, 2)}\n`;
    await atomicWrite(side.path, [Buffer.from(content)], { expected, followLinks: true });
  });
}

/** The registry's entries; none when it does not exist. Anything unreadable stops the export, naming the file. */
function readRegistry(file: string): JsonObject {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return {};
    throw new Error(`cannot read ${file}: ${describeFileError(error)}; it holds other datasets' entries, so nothing was exported`);
  }
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch {
    value = null;
  }
  if (!isJsonObject(value)) throw new Error(`${file} exists but is not a JSON object; leaving it alone, so nothing was exported`);
  return value;
}
