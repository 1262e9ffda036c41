import * as path from 'node:path';
import { atomicWrite } from '../files/atomicWrite';
import { textChunks } from '../files/textChunks';
import { checkWriteTarget, TargetError } from '../files/writeTarget';
import { isParquetPath, writeLinesAsParquet } from '../parquet/jsonlToParquet';
import { EXPORTERS, exportRecord } from './exportRecord';
import { type ExportInputs, type FilterCounts, filteredInputs, noFilterCounts } from './filters';
import { prepareCopyFolder } from './imageCopies';
import { ExportImages, imageOptionsProblem } from './images';
import { checkSideFiles, sideFiles, type SideFile, writeSideFile } from './sideFiles';
import type { TargetOptions } from '../files/writeTarget';
import { addLabelCounts, isRefusal, type ExportFormat, type ExportOptions, type LabelCounts, noLabelCounts } from './types';

export interface ExportResult {
  /** Lines written to the output. */
  written: number;
  /** Records the format cannot express, by line. */
  refusals: { line: number; reason: string }[];
  /** Records left out because their review status is `rejected`. */
  skipped: number;
  /** Records left out because a rated step of their response is incorrect (TRL SFT unless `keepIncorrect`). */
  incorrect: number;
  /** Images copied into `imagesDir` (`images: copy`); those already there with the same bytes are not counted. */
  imagesCopied: number;
  /** What the OpenVLThinker filters dropped or cut (all zero when none is on). */
  filtered: FilterCounts;
  /** The step formats: how many of the step labels written came from each origin (all zero for the others). */
  labels: LabelCounts;
  /** The output and its side files. */
  files: string[];
}

/**
 * Streams the records' lines into the output (as Parquet rows when its name ends in `.parquet`), then writes
 * the format's side files, each through a temporary file renamed into place: an existing output is replaced
 * only once the new one is complete. `inputs` may be held in memory or read from a file as they go; with the
 * shortest-correct filter they are read twice (see `filteredInputs`).
 */
export async function exportDataset(format: ExportFormat, inputs: ExportInputs, options: ExportOptions): Promise<ExportResult> {
  const exporter = EXPORTERS[format];
  await checkExportTargets(format, options);
  const images = new ExportImages(format, options);
  const result: ExportResult = {
    written: 0,
    refusals: [],
    skipped: 0,
    incorrect: 0,
    imagesCopied: 0,
    filtered: noFilterCounts(),
    labels: noLabelCounts(),
    files: [options.outputPath],
  };
  const datasetName = options.datasetName ?? path.basename(options.outputPath, path.extname(options.outputPath));
  let fileKind: { kind: string; line: number } | undefined;
  let hasSystem = false;
  let side: SideFile[] = [];

  async function* lines(): AsyncIterable<string> {
    for await (const input of filteredInputs(inputs, options, result.filtered)) {
      const exported = exportRecord(format, input, options, images);
      if (isRefusal(exported)) {
        result.refusals.push({ line: input.line, reason: exported.refusal });
        continue;
      }
      if ('leftOut' in exported) {
        if (exported.leftOut === 'rejected') result.skipped++;
        else result.incorrect++;
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
      if (exported.labels) addLabelCounts(result.labels, exported.labels);
    }
    // Made before the output is renamed into place, so that an unreadable registry file stops the export whole.
    side = sideFiles(format, { outputPath: options.outputPath, count: result.written, datasetName, root: images.base, lineKind: fileKind?.kind, hasSystem });
  }

  // The images a chunk's lines name are copied before the chunk is written, so the output never names a missing copy.
  async function* withCopies(chunks: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    for await (const chunk of chunks) {
      result.imagesCopied += await images.writeCopies();
      yield chunk;
    }
    result.imagesCopied += await images.writeCopies();
  }

  const chunks = withCopies(textChunks(lines()));
  if (isParquetPath(options.outputPath)) await writeLinesAsParquet(options.outputPath, chunks, exportTargetOptions(options));
  else await atomicWrite(options.outputPath, chunks, exportTargetOptions(options));
  for (const file of side) await writeSideFile(file);
  result.files.push(...side.map((file) => file.path));
  return result;
}

function exportTargetOptions(options: ExportOptions): TargetOptions {
  return { notSameAs: options.sourcePath === undefined ? [] : [options.sourcePath], replaceSpecial: options.replaceOutput };
}

/**
 * Refuses image options the format cannot write, an output that cannot or must not be written (its folder is
 * missing or read-only; it is the input; it is a folder, a FIFO, a device or a symbolic link, unless
 * `replaceOutput`) and a registry file beside it that cannot be kept, and makes the folder images are copied
 * into, before any record is read: a run that samples for an hour learns it at once.
 */
export async function checkExportTargets(format: ExportFormat, options: ExportOptions): Promise<void> {
  const imageProblem = imageOptionsProblem(format, options);
  if (imageProblem !== null) throw new TargetError(imageProblem);
  await checkWriteTarget(options.outputPath, exportTargetOptions(options));
  checkSideFiles(format, options.outputPath);
  if (options.images === 'copy' && options.imagesDir !== undefined) await prepareCopyFolder(path.resolve(options.imagesDir));
}
