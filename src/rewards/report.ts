import { z } from 'zod';
import type { Dataset } from '../dataset';
import { parseLine } from '../dataset/formats';
import { type FormatId, formatIdSchema } from '../dataset/record';
import { recordRewards } from './record';
import { rewardNameSchema } from './registry';

const rewardValuesSchema = z.partialRecord(rewardNameSchema, z.number());

/** What `cot-studio rewards FILE --json` prints. */
export const rewardsReportSchema = z.object({
  file: z.string(),
  /** The scored records, by 1-based line. */
  records: z.array(z.object({ line: z.number().int().min(1), format: formatIdSchema, rewards: rewardValuesSchema })),
  /** Per reward over the records it applied to. */
  summary: z.partialRecord(rewardNameSchema, z.object({ mean: z.number(), count: z.number().int().min(1) })),
  /** Records left unscored: no ground truth, no response to score (RL problems), or not readable as any format. */
  skipped: z.object({ noGroundTruth: z.number().int(), noResponse: z.number().int(), unreadable: z.number().int() }),
});
export type RewardsReport = z.infer<typeof rewardsReportSchema>;

/** Scores every record with a ground truth and a response, and the mean of each reward over them. */
export function scoreDataset(dataset: Dataset, forced: FormatId | undefined): RewardsReport {
  const report: RewardsReport = { file: dataset.fileName, records: [], summary: {}, skipped: { noGroundTruth: 0, noResponse: 0, unreadable: 0 } };
  const totals = new Map<string, { sum: number; count: number }>();
  for (let index = 0; index < dataset.recordCount; index++) {
    const line = dataset.recordLine(index);
    const parsed = parseLine(dataset.lineText(line), forced);
    const rewards = parsed && parsed.groundTruth !== null ? recordRewards(parsed) : null;
    if (!parsed) report.skipped.unreadable++;
    else if (parsed.groundTruth === null) report.skipped.noGroundTruth++;
    else if (!rewards) report.skipped.noResponse++;
    else {
      report.records.push({ line: line + 1, format: parsed.format, rewards });
      for (const [name, value] of Object.entries(rewards)) {
        const total = totals.get(name) ?? { sum: 0, count: 0 };
        totals.set(name, { sum: total.sum + value, count: total.count + 1 });
      }
    }
  }
  for (const name of rewardNameSchema.options) {
    const total = totals.get(name);
    if (total) report.summary[name] = { mean: total.sum / total.count, count: total.count };
  }
  return report;
}
