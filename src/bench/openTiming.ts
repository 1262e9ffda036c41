import { z } from 'zod';
import { Dataset } from '../dataset';

/** The records the first page of the big-file bench shows. */
export const FIRST_PAGE_RECORDS = 50;

/** What `cot-studio bench --open FILE` prints: how long the file took to show its first page and to be indexed whole. */
export const openTimingSchema = z.object({
  /** Until `Dataset.openGrowing` returned: the first stretch of lines indexed, as the editor opens a large file. */
  openMs: z.number().nonnegative(),
  /** Until it returned and the first page's summaries were made. */
  firstPageMs: z.number().nonnegative(),
  /** Until the whole file was indexed. */
  indexedMs: z.number().nonnegative(),
  /** The records the dataset knew of when it returned, and once indexed. */
  recordsAtOpen: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
});
export type OpenTiming = z.infer<typeof openTimingSchema>;

/**
 * Opens a file as the editor opens a large one (the first page as soon as the first stretch is indexed), makes
 * its first page, then waits for the whole index, timing each. Run in a process of its own, so that the time
 * includes starting the index worker and the process's peak RSS is the open's alone.
 */
export async function timeOpen(file: string): Promise<OpenTiming> {
  const start = performance.now();
  using dataset = await Dataset.openGrowing(file);
  const openMs = performance.now() - start;
  const recordsAtOpen = dataset.recordCount;
  dataset.page(0, FIRST_PAGE_RECORDS);
  const firstPageMs = performance.now() - start;
  await dataset.whenIndexed();
  return { openMs, firstPageMs, indexedMs: performance.now() - start, recordsAtOpen, records: dataset.recordCount };
}
