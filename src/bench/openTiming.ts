import { z } from 'zod';
import { Dataset } from '../dataset';

/** The records the first page of the big-file bench shows. */
export const FIRST_PAGE_RECORDS = 50;

/** What `cot-studio bench --open FILE` prints: how long the file took to open and to show its first page. */
export const openTimingSchema = z.object({
  /** Until `Dataset.open` returned. */
  openMs: z.number().nonnegative(),
  /** Until `Dataset.open` returned and the first page's summaries were made. */
  firstPageMs: z.number().nonnegative(),
  /** The records the dataset knew of when `Dataset.open` returned. */
  recordsAtOpen: z.number().int().nonnegative(),
});
export type OpenTiming = z.infer<typeof openTimingSchema>;

/**
 * Opens a file as the editor does and makes its first page, timing both. Run in a process of its own, so
 * that the time includes starting the index worker and the process's peak RSS is the open's alone.
 */
export async function timeOpen(file: string): Promise<OpenTiming> {
  const start = performance.now();
  using dataset = await Dataset.open(file);
  const openMs = performance.now() - start;
  const recordsAtOpen = dataset.recordCount;
  dataset.page(0, FIRST_PAGE_RECORDS);
  return { openMs, firstPageMs: performance.now() - start, recordsAtOpen };
}
