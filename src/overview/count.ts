import type { Dataset } from '../dataset';
import type { CheckContext } from '../dataset/checks';
import { checkDatasetLine, StatsTally } from '../dataset/validate';
import type { OverviewMessage } from '../protocol';

/** Records counted between yields to the event loop and between messages. */
const BATCH = 1000;

/**
 * Reads every record in batches, posting partial counts so a large file shows progress; a file still being
 * indexed is counted as its records are indexed, and the counts are complete once the index is. A reload
 * (`current` another dataset) or `cancelled` stops it.
 */
export async function countDataset(
  current: () => Dataset,
  context: CheckContext,
  post: (message: OverviewMessage) => void,
  cancelled: () => boolean,
): Promise<void> {
  const dataset = current();
  const tally = new StatsTally(dataset);
  const progress = (counted: number, complete: boolean): OverviewMessage => {
    const { indexed, total } = dataset.indexProgress;
    return {
      type: 'overview',
      stats: tally.result(),
      complete,
      counted,
      ...(dataset.indexing ? { indexing: total === 0 ? 0 : Math.min(1, indexed / total) } : {}),
    };
  };
  for (let index = 0; ; index++) {
    if (index === dataset.recordCount) {
      if (index > 0) post(progress(index, false));
      if (!(await dataset.whenMoreRecords())) break;
    } else if (index % BATCH === 0 && index > 0) {
      post(progress(index, false));
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (cancelled() || dataset !== current()) return;
    tally.add(checkDatasetLine(dataset, dataset.recordLine(index), context));
  }
  if (!cancelled() && dataset === current()) post(progress(dataset.recordCount, true));
}
