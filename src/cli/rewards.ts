import { parseArgs } from 'node:util';
import { formatRewardValue, type RewardsReport, scoreDataset } from '../rewards';
import { checkContext, datasetOptions, openDatasetFile } from './datasetFile';
import { printOut } from './terminal';

function formatRewardsReport(report: RewardsReport): string {
  const { noGroundTruth, noResponse, unreadable } = report.skipped;
  const lines = [
    `${report.file}: ${report.records.length} records scored; skipped ${noGroundTruth} without a ground truth, ${noResponse} without a response, ${unreadable} unreadable`,
    ...report.records.map(({ line, format, rewards }) => {
      const values = Object.entries(rewards).map(([name, value]) => `${name} ${formatRewardValue(value)}`);
      return `  line ${line} (${format}): ${values.join(', ')}`;
    }),
  ];
  const summary = Object.entries(report.summary);
  if (summary.length === 0) return lines.join('\n');
  const width = Math.max('reward'.length, ...summary.map(([name]) => name.length));
  return [
    ...lines,
    `${'reward'.padEnd(width)}  ${'mean'.padStart(6)}  count`,
    ...summary.map(([name, { mean, count }]) => `${name.padEnd(width)}  ${formatRewardValue(mean).padStart(6)}  ${count}`),
  ].join('\n');
}

/** `cot-studio rewards FILE [--json] [--format F]`: the rule rewards of every record that has a ground truth. */
export async function rewards(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { format: datasetOptions.format, json: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  const [file] = positionals;
  using dataset = await openDatasetFile(file);
  const report = scoreDataset(dataset, checkContext(file, values.format, undefined).format);
  printOut(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatRewardsReport(report)}\n`);
  // As every command: a line that cannot be read is an error in the data, though the rest is scored.
  return report.skipped.unreadable > 0 ? 1 : 0;
}
