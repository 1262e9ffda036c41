// Exports a dataset to the formats trainers read (TRL, LLaMA-Factory, OpenAI, PRM800K, MMPR, Mulberry).
export { checkExportTargets, exportDataset, type ExportResult } from './exportDataset';
export { exportRecord } from './exportRecord';
export { sideFiles, type ExportSummary, type SideFile } from './sideFiles';
export { exportFormatSchema, exportOptionsSchema, imageModeSchema, type ExportFormat, type ExportInput, type ExportOptions, type Refusal } from './types';
export { imageOptionsProblem } from './images';
export { readDatasetInput, readExportInput } from './input';
export { exportDatasetRecords, exportLineInputs } from './fromDataset';
export { DEFAULT_REFLECTION_MARKERS, type FilterCounts } from './filters';
export { describeFilters } from './filterSummary';
