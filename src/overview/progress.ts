import type { Dataset } from '../dataset';
import type { FactTable } from '../dataset/factTable';
import type { OverviewMessage } from '../protocol';

/**
 * The overview as the dataset's one pass has counted it so far: complete once every record is read and the
 * file indexed; while it is indexed, how far (0 to 1).
 */
export function overviewProgress(dataset: Dataset, facts: FactTable): OverviewMessage {
  const counted = facts.readCount;
  const { indexed, total } = dataset.indexProgress;
  return {
    type: 'overview',
    stats: facts.stats(),
    complete: !dataset.indexing && counted === dataset.recordCount,
    counted,
    ...(dataset.indexing ? { indexing: total === 0 ? 0 : Math.min(1, indexed / total) } : {}),
  };
}
