export { ANNOTATION_KEY, DEFAULT_REFLECTION_PHRASE } from './annotations';
export { Dataset, type IndexedSource, type LineChange } from './dataset';
export { indexBytes } from './indexWorker';
export { LineIndex } from './lineIndex';
export { displayQuestion, summarizeLine } from './recordSummary';
