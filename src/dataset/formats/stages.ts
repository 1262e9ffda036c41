import type { Segment } from '../record';
import type { TextRef } from './segment';
import { type Tag, tagScanner, tagSegments } from './tags';

/** LLaVA-CoT's stages, in the order the grammar wants them. */
export const STAGES = ['SUMMARY', 'CAPTION', 'REASONING', 'CONCLUSION'] as const;
const stageScanner = tagScanner(STAGES);

export function stageTags(text: string): Tag[] {
  return stageScanner.scan(text);
}

export function hasStages(text: string): boolean {
  return stageScanner.opens(text);
}

export function stageSegments(ref: TextRef): Segment[] {
  return tagSegments(ref, stageTags(ref.text), () => 'stage');
}
