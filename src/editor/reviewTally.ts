import { reviewStatusSchema, type ReviewStatus } from '../dataset/annotations';
import type { Dataset } from '../dataset';
import { readAnnotations, readRecord, RecordError } from '../dataset/recordEdit';

const STATUSES = reviewStatusSchema.options;
const UNKNOWN = 255;
/** Records read between yields to the event loop. */
const BATCH = 2000;

function statusOf(lineText: string): number {
  try {
    return STATUSES.indexOf(readAnnotations(readRecord(lineText)).review.status);
  } catch (error) {
    if (!(error instanceof RecordError)) throw error;
    return STATUSES.indexOf('unreviewed');
  }
}

/**
 * Review progress of a dataset: one status byte per record, filled by a background pass that yields to
 * the event loop, and kept current by rechecking only the lines an edit touched.
 */
export class ReviewTally {
  private statuses: Uint8Array;
  private known = 0;

  constructor(private dataset: Dataset) {
    this.statuses = new Uint8Array(dataset.recordCount).fill(UNKNOWN);
  }

  /** Reads every record once; resolves when done (or when the dataset was replaced meanwhile). */
  async fill(): Promise<void> {
    const dataset = this.dataset;
    for (let index = 0; index < dataset.recordCount; index++) {
      if (dataset !== this.dataset) return;
      if (index % BATCH === 0 && index > 0) await new Promise((resolve) => setImmediate(resolve));
      this.set(index, statusOf(dataset.lineText(dataset.recordLine(index))));
    }
  }

  /** After an edit: recheck these 0-based lines; after a reload: start over on the new dataset. */
  update(dataset: Dataset, lines: number[] | 'all'): Promise<void> | undefined {
    if (lines === 'all' || dataset !== this.dataset) {
      this.dataset = dataset;
      this.statuses = new Uint8Array(dataset.recordCount).fill(UNKNOWN);
      this.known = 0;
      return this.fill();
    }
    for (const line of lines) {
      const index = dataset.recordIndexOfLine(line);
      if (index !== -1) this.set(index, statusOf(dataset.lineText(line)));
    }
    return undefined;
  }

  /** Counts per status; `complete` is false while the first pass is still reading. */
  counts(): { total: number; reviewed: number; complete: boolean; byStatus: Record<ReviewStatus, number> } {
    const byStatus = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<ReviewStatus, number>;
    for (const status of this.statuses) if (status !== UNKNOWN) byStatus[STATUSES[status]]++;
    const total = this.statuses.length;
    return { total, reviewed: total - byStatus.unreviewed - (total - this.known), complete: this.known === total, byStatus };
  }

  private set(index: number, status: number): void {
    if (this.statuses[index] === UNKNOWN) this.known++;
    this.statuses[index] = status;
  }
}
