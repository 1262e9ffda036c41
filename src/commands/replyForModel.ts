import { ImageResolver } from '../dataset/images';
import { readRecordState } from '../dataset/operations';
import type { ParsedRecord } from '../dataset/record';
import { resolveReply, type Side } from '../dataset/replies';
import type { DatasetDocument, DatasetRegistry } from '../editor';
import { withModelImages } from '../search/segmentPrompt';

/**
 * The record a model is asked about, with its images read from the dataset's image roots, and which reply: the
 * record on `line` (1-based) or the selected one, and the reply of `side` and `turn` (the first side, the last turn).
 */
export function replyForModel(
  datasets: DatasetRegistry,
  document: DatasetDocument,
  target: { line?: number; side?: Side; turn?: number },
): { line: number; record: ParsedRecord; side: Side; turn: number } {
  const line = target.line ?? document.dataset.recordLine(datasets.selectionOf(document)) + 1;
  const parsed = readRecordState(document.dataset.lineText(line - 1), document.dataset.format).parsed;
  const [datasetDir, ...roots] = document.imageRoots();
  const images = new ImageResolver(datasetDir as string, roots);
  const record = withModelImages(parsed, (paths) => images.forModel(paths));
  const { side, turn } = resolveReply(record, { side: target.side ?? 'primary', ...(target.turn === undefined ? {} : { turn: target.turn }) });
  return { line, record, side, turn };
}
