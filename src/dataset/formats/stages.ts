import type { Segment } from '../record';
import type { TextRef } from './segment';
import { scanTags, type Tag, tagSegments } from './tags';

/** LLaVA-CoT's stages, in the order the grammar wants them. */
export const STAGES = ['SUMMARY', 'CAPTION', 'REASONING', 'CONCLUSION'] as const;

export function stageTags(text: string): Tag[] {
  return scanTags(text, STAGES);
}

export function hasStages(text: string): boolean {
  return stageTags(text).some((tag) => !tag.closing);
}

export function stageSegments(ref: TextRef): Segment[] {
  return tagSegments(ref, stageTags(ref.text), () => 'stage');
}
