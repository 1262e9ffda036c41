import type { FormatId, Response, ResponseRole, Segment } from '../record';
import { hasSections, sectionSegments } from './sections';
import type { TextRef } from './segment';
import { hasStages, stageSegments } from './stages';
import { hasThinkAnswer, thinkAnswerSegments } from './thinkAnswer';
import { flatMapped } from '../flatMapped';

/** The markup a response can carry, whatever record shape holds it. */
export type Structure = 'stages' | 'think-answer' | 'sections';

interface StructureRules {
  /** What the markup is called in messages. */
  name: string;
  present(text: string): boolean;
  segments(ref: TextRef): Segment[];
}

export const STRUCTURES: Record<Structure, StructureRules> = {
  stages: { name: 'LLaVA-CoT stage tags (<SUMMARY>, <CAPTION>, <REASONING>, <CONCLUSION>)', present: hasStages, segments: stageSegments },
  'think-answer': { name: '<think> or <answer> tags', present: hasThinkAnswer, segments: thinkAnswerSegments },
  sections: { name: 'Mulberry "###" section headers', present: hasSections, segments: sectionSegments },
};

/** The format a sharegpt-style record takes when its reply carries each structure. */
export const STRUCTURE_FORMAT: Record<Structure, Extract<FormatId, 'llava-cot' | 'think-answer' | 'mulberry'>> = {
  stages: 'llava-cot',
  'think-answer': 'think-answer',
  sections: 'mulberry',
};

/**
 * Tags outrank headers (a think block may hold `###` lines, never the reverse); stage tags come first
 * as the most specific markers.
 */
const PRECEDENCE: Structure[] = ['stages', 'think-answer', 'sections'];

export function detectStructure(text: string): Structure | null {
  return PRECEDENCE.find((structure) => STRUCTURES[structure].present(text)) ?? null;
}

/**
 * The structure a response of `format` is read with: fixed for the structured chat formats and R1-V's
 * evaluation logs (whose prompt asks for `<think>`/`<answer>`), detected for the shapes that carry any
 * response (OpenAI chat, preference pairs), none for plain sharegpt and TRL step lists. Parsing and checking
 * both ask here, so they always agree.
 */
export function structureOf(format: FormatId, text: string): Structure | null {
  switch (format) {
    case 'llava-cot':
      return 'stages';
    case 'mulberry':
      return 'sections';
    case 'think-answer':
    case 'r1v-eval':
      return 'think-answer';
    case 'openai-chat':
    case 'mmpr':
    case 'trl-preference':
    case 'trl-completion':
    case 'sharegpt-preference':
    case 'openai-dpo':
    case 'mulberry-search':
      return detectStructure(text);
    default:
      return null;
  }
}

/**
 * A response made of one or more strings (several when OpenAI content has several text parts). Each string
 * is split by the format's structure when it carries it, else by `unstructured`.
 */
export function buildResponse(role: ResponseRole, format: FormatId, refs: readonly TextRef[], unstructured: (ref: TextRef) => Segment[]): Response {
  const text = refs.map((ref) => ref.text).join('\n');
  const structure = structureOf(format, text);
  const segments = flatMapped(refs, (ref) =>
    structure !== null && STRUCTURES[structure].present(ref.text) ? STRUCTURES[structure].segments(ref) : unstructured(ref),
  );
  return { role, text, segments };
}
