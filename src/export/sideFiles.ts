import * as fs from 'node:fs';
import * as path from 'node:path';
import { isJsonObject, type Json, type JsonObject } from '../dataset/record';
import type { ExportFormat } from './types';

export interface ExportSummary {
  outputPath: string;
  /** Lines written. */
  count: number;
  datasetName: string;
  datasetDir: string;
  /** The kind of line the file holds, for formats with several (LLaMA-Factory: `sft` or `ranking`). */
  lineKind?: string;
  /** Some line carries a system prompt (LLaMA-Factory then names its `system` column). */
  hasSystem?: boolean;
}

export interface SideFile {
  path: string;
  content: string;
}

/**
 * The registry files trainers read next to an export: LLaMA-Factory's `dataset_info.json` and InternVL's
 * `meta.json`, in the output's folder. Both hold many datasets, so an existing file keeps its other entries.
 */
export function sideFiles(format: ExportFormat, summary: ExportSummary): SideFile[] {
  const folder = path.dirname(path.resolve(summary.outputPath));
  if (format === 'llamafactory-sharegpt') {
    return [registryEntry(path.join(folder, 'dataset_info.json'), summary.datasetName, datasetInfoEntry(summary))];
  }
  if (format === 'mmpr') {
    const entry = {
      root: path.resolve(summary.datasetDir),
      annotation: path.resolve(summary.outputPath),
      data_augment: false,
      repeat_time: 1,
      length: summary.count,
    };
    return [registryEntry(path.join(folder, 'meta.json'), summary.datasetName, entry)];
  }
  return [];
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

function registryEntry(file: string, name: string, entry: JsonObject): SideFile {
  return { path: file, content: `${JSON.stringify({ ...existingRegistry(file), [name]: entry }, null, 2)}\n` };
}

function existingRegistry(file: string): JsonObject {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch {
    value = null;
  }
  if (!isJsonObject(value)) throw new Error(`${file} exists but is not a JSON object; leaving it alone`);
  return value;
}
