import * as path from 'node:path';
import { checkLine } from '../checks';
import { Dataset } from '../dataset';
import { ImageResolver } from '../images';
import type { FormatId } from '../record';
import { StatsTally } from '../validate';
import type { StatsPart } from './protocol';

/** Checks and counts every record of whole lines of `file` (all of it, or one chunk). */
export function tallyRecords(file: string, bytes: Uint8Array, options: { format?: FormatId; imageRoots: string[] }): StatsPart {
  const dataset = Dataset.fromBytes(path.basename(file), bytes);
  const images = new ImageResolver(path.dirname(path.resolve(file)), options.imageRoots);
  const context = { imageExists: (image: string) => images.exists(image), format: options.format, ranges: false };
  const tally = new StatsTally(dataset);
  for (let index = 0; index < dataset.recordCount; index++) tally.add(checkLine(dataset.lineText(dataset.recordLine(index)), context));
  return { stats: tally.result(), responses: tally.responseCount };
}
