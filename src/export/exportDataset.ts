import * as path from 'node:path';
import { atomicWrite } from '../files/atomicWrite';
import { textChunks } from '../files/textChunks';
import { checkWriteTarget } from '../files/writeTarget';
import { isParquetPath, writeLinesAsParquet } from '../parquet/jsonlToParquet';
import { EXPORTERS, exportRecord } from './exportRecord';
import { type FilterCounts, filteredInputs, noFilterCounts } from './filters';
import { checkSideFiles, sideFiles, type SideFile, writeSideFile } from './sideFiles';
import type { TargetOptions } from '../files/writeTarget';
import { isRefusal, type ExportFormat, type ExportInput, type ExportOptions } from './types';

export interface ExportResult {
  /** Lines written to the output. */
  written: number;
  /** Records the format cannot express, by line. */
  refusals: { line: number; reason: string }[];
  /** Records left out because their review status is `rejected`. */
  skipped: number;
  /** What the OpenVLThinker filters dropped or cut (all zero when none is on). */
  filtered: FilterCounts;
  /** The output and its side files. */
  files: string[];
}

/**
 * Streams the records' lines into the output (as Parquet rows when its name ends in `.parquet`), then writes
 * the format's side files, each through a temporary file renamed into place: an existing output is replaced
 * only once the new one is complete. With the shortest-correct filter `inputs` is read twice (see
 * `filteredInputs`).
 */
export async function exportDataset(format: ExportFormat, inputs: Iterable<ExportInput>, options: ExportOptions): Promise<ExportResult> {
  const exporter = EXPORTERS[format];
  const result: ExportResult = { written: 0, refusals: [], skipped: 0, filtered: noFilterCounts(), files: [options.outputPath] };
  const datasetName = options.datasetName ?? path.basename(options.outputPath, path.extname(options.outputPath));
  let fileKind: { kind: string; line: number } | undefined;
  let hasSystem = false;
  let side: SideFile[] = [];

  function* lines(): Iterable<string> {
    for (const input of filteredInputs(inputs, options, result.filtered)) {
      const exported = exportRecord(format, input, options);
      if (isRefusal(exported)) {
        result.refusals.push({ line: input.line, reason: exported.refusal });
        continue;
      }
      if (exported.lines.length === 0) {
        result.skipped++;
        continue;
      }
      const kind = exporter.lineKind?.(input.parsed);
      if (kind !== undefined && fileKind !== undefined && kind !== fileKind.kind) {
        const reason = `a ${format} file holds one kind of line: this record makes ${kind} lines, the file has ${fileKind.kind} lines (from line ${fileKind.line})`;
        result.refusals.push({ line: input.line, reason });
        continue;
      }
      if (kind !== undefined) fileKind ??= { kind, line: input.line };
      hasSystem ||= input.parsed.system !== undefined;
      for (const line of exported.lines) yield `${JSON.stringify(line)}\n`;
      result.written += exported.lines.length;
    }
    // Made before the output is renamed into place, so that an unreadable registry file stops the export whole.
    side = sideFiles(format, { outputPath: options.outputPath, count: result.written, datasetName, datasetDir: options.datasetDir, lineKind: fileKind?.kind, hasSystem });
  }

  await checkExportTargets(format, options);
  if (isParquetPath(options.outputPath)) await writeLinesAsParquet(options.outputPath, textChunks(lines()), exportTargetOptions(options));
  else await atomicWrite(options.outputPath, textChunks(lines()), exportTargetOptions(options));
  for (const file of side) await writeSideFile(file);
  result.files.push(...side.map((file) => file.path));
  return result;
}

function exportTargetOptions(options: ExportOptions): TargetOptions {
  return { notSameAs: options.sourcePath === undefined ? [] : [options.sourcePath], replaceSpecial: options.replaceOutput };
}

/**
 * Refuses an output that cannot or must not be written (its folder is missing or read-only; it is the input; it
 * is a folder, a FIFO, a device or a symbolic link, unless `replaceOutput`) and a registry file beside it that
 * cannot be kept, before any record is read: a run that samples for an hour learns it at once.
 */
export async function checkExportTargets(format: ExportFormat, options: ExportOptions): Promise<void> {
  await checkWriteTarget(options.outputPath, exportTargetOptions(options));
  checkSideFiles(format, options.outputPath);
}
