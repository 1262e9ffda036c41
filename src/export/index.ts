// Exports a dataset to the formats trainers read (TRL, LLaMA-Factory, OpenAI, PRM800K, MMPR, Mulberry, VisualPRM).
export { checkExportTargets, exportDataset, type ExportResult } from './exportDataset';
export { exportRecord } from './exportRecord';
export { sideFiles, type ExportSummary, type SideFile } from './sideFiles';
export {
  exportFormatSchema,
  exportOptionsSchema,
  imageModeSchema,
  labelSourceSchema,
  type ExportFormat,
  type ExportInput,
  type ExportOptions,
  type LabelCounts,
  type LabelSource,
  type Refusal,
} from './types';
export { describeLabels, FORMAT_LABEL_SOURCES, isStepFormat, labelOptionsProblem, STEP_FORMATS, type StepFormat } from './steps';
export { imageOptionsProblem } from './images';
export { readDatasetInput, readExportInput } from './input';
export { exportDatasetRecords, exportLineInputs } from './fromDataset';
export { DEFAULT_REFLECTION_MARKERS, type FilterCounts } from './filters';
export { describeFilters } from './filterSummary';
