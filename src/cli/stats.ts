import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { fileStats } from '../dataset/stats';
import type { DatasetStats } from '../dataset/validate';
import { tallyRecords } from '../dataset/stats/tally';
import { datasetOptions, forcedFormat, imageRootsOption, isCopiedDataset, openDatasetFile, readingDatasetFile } from './datasetFile';
import { printOut } from './terminal';

function table(title: string, counts: Record<string, number>): string[] {
  const rows = Object.entries(counts).filter(([, count]) => count > 0);
  if (rows.length === 0) return [`${title}: none`];
  const width = Math.max(...rows.map(([key]) => key.length));
  return [`${title}:`, ...rows.map(([key, count]) => `  ${key.padEnd(width)}  ${count}`)];
}

export function formatStats(stats: DatasetStats): string {
  const { segments, ratings } = stats;
  return [
    `${stats.file}: ${stats.records} records on ${stats.lines} lines, ${stats.recordsWithErrors} with errors`,
    ...table('formats', stats.formats),
    ...table('review', stats.review),
    ...table('failing checks', stats.checks),
    `segments: ${segments.total} (${segments.perResponse.min}-${segments.perResponse.max} per response, mean ${segments.perResponse.mean.toFixed(1)})`,
    ...table('segments by kind', segments.byKind),
    `ratings: ${ratings.correct} correct, ${ratings.neutral} neutral, ${ratings.incorrect} incorrect, ${ratings.unrated} unrated`,
    `preference pairs: ${stats.preferencePairs}, alternatives: ${stats.alternatives}`,
    `suggested step labels: ${stats.prelabels.suggested} (${stats.prelabels.confirmed} confirmed, ${stats.prelabels.overridden} overridden)`,
  ].join('\n');
}

/** `cot-studio stats FILE [--json]`: exits 1 when a record has an error. */
export async function stats(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...datasetOptions, json: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  const [file] = positionals;
  const format = forcedFormat(values.format);
  const options = { format, imageRoots: imageRootsOption(values['image-root']) };
  // The workers read the file themselves; here it is only checked to be a readable file, for a clear usage error.
  const result =
    file !== undefined && isCopiedDataset(file)
      ? tallyRecords(file, await openDatasetFile(file), options).stats
      : await fileStats(
          readingDatasetFile(file, (name) => {
            fs.accessSync(name, fs.constants.R_OK);
            return name;
          }),
          options,
        );
  printOut(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatStats(result)}\n`);
  // As every command: 1 when the data has errors, so a pipeline can gate on it; the counts are printed either way.
  return result.recordsWithErrors > 0 ? 1 : 0;
}
