import type { Segment } from '../record';
import { allMatches } from './matches';
import type { TextRef } from './segment';
import { type Tag, tagScanner, tagSegments } from './tags';

/** LLaVA-CoT's stages, in the order the grammar wants them. */
export const STAGES = ['SUMMARY', 'CAPTION', 'REASONING', 'CONCLUSION'] as const;
const stageScanner = tagScanner(STAGES);

export function stageTags(text: string): readonly Tag[] {
  return stageScanner.scan(text);
}

/**
 * A tag spelled like a stage (capitals) that names none: what a response trained on other stage names writes.
 * The stages' own tags are passed over in the pattern, so a well-formed response makes no match to collect.
 */
const UNKNOWN_STAGE_TAG = new RegExp(`<\\/?(?!(?:${STAGES.join('|')})>)([A-Z][A-Z_]+)>`, 'g');

/** The names of the stage-like tags of a text that are no LLaVA-CoT stage, each once, in order of appearance. */
export function unknownStageNames(text: string): string[] {
  return [...new Set(allMatches(text, UNKNOWN_STAGE_TAG).map((match) => match[1]))];
}

export function hasStages(text: string): boolean {
  return stageScanner.opens(text);
}

export function stageSegments(ref: TextRef): Segment[] {
  return tagSegments(ref, stageTags(ref.text), () => 'stage');
}
