/**
 * MPO's preference pairs in bulk (methods.md §2): correctness pairs from responses sampled against a record's
 * ground truth, and "continue without the image" pairs for records without one. `buildPairs` runs over a
 * dataset's records for the editor command and the `pairs` CLI; the parts are pure where they can be.
 */
export { correctnessPairs, statesAnswer } from './correctness';
export { type MadePair, type PairJob, recordPairs } from './recordPairs';
export { buildPairs } from './run';
export { pairSettingsSchema } from './settings';
export { describeSummary, type PairSummary, pairSummarySchema } from './summary';
export { firstHalfOfWords } from './withoutImage';
