import { Template } from '@huggingface/jinja';
import { z } from 'zod';
import { errorMessage } from '../../errors/message';

/**
 * Judge prompts, written as Jinja templates (the language of chat templates). Every one is a setting
 * (`cotStudio.judge.templates`) with these defaults; the pairwise ones follow LLaVA-CoT's stage-specific
 * criteria and ask for its verdict form, which the parser reads strictly.
 */
export const DEFAULT_TEMPLATES = {
  pairwiseSummary:
    'Question: {{ question }}\n\nTwo summaries of how to answer it follow. A good summary outlines the approach without doing the calculation itself.\n\nResponse 1: {{ first }}\n\nResponse 2: {{ second }}\n\nWhich summary outlines the approach better? Answer in the form "Since [reason], I choose response [1/2]."',
  pairwiseCaption:
    'Question: {{ question }}\n\nTwo descriptions of the image follow. A good one is thorough and accurate about the details the question needs.\n\nResponse 1: {{ first }}\n\nResponse 2: {{ second }}\n\nWhich description is better? Answer in the form "Since [reason], I choose response [1/2]."',
  pairwiseReasoning:
    'Question: {{ question }}\n\nImage description (a hint): {{ caption }}\n\nTwo lines of reasoning follow.\n\nResponse 1: {{ first }}\n\nResponse 2: {{ second }}\n\nWhich has fewer errors and stronger reasoning? Answer in the form "Since [reason], I choose response [1/2]."',
  pairwiseConclusion:
    'Question: {{ question }}\n\nReasoning so far: {{ prefix }}\n\nTwo conclusions follow. A good conclusion is consistent with the reasoning and answers the question; a refusal is never good.\n\nResponse 1: {{ first }}\n\nResponse 2: {{ second }}\n\nWhich conclusion is better? Answer in the form "Since [reason], I choose response [1/2]."',
  pairwiseStep:
    'Question: {{ question }}\n\nSolution so far: {{ prefix }}\n\nTwo candidates for the next part follow.\n\nResponse 1: {{ first }}\n\nResponse 2: {{ second }}\n\nWhich is the better next part: correct, relevant and consistent with what came before? Answer in the form "Since [reason], I choose response [1/2]."',
  step: 'Question: {{ question }}\n\nSolution so far: {{ prefix }}\n\nNext step: {{ step }}\n\nIs the next step correct, neutral (neither helps nor hurts) or incorrect? Answer with one word: correct, neutral or incorrect.',
  answer:
    'Question: {{ question }}\n\nReference answer: {{ reference }}\n\nResponse: {{ response }}\n\nDoes the response reach the reference answer? Answer with one word: yes or no.',
} as const;

export type TemplateName = keyof typeof DEFAULT_TEMPLATES;

export const templateOverridesSchema = z.partialRecord(z.enum(Object.keys(DEFAULT_TEMPLATES) as [TemplateName, ...TemplateName[]]), z.string().min(1));
export type TemplateOverrides = z.infer<typeof templateOverridesSchema>;

/** Renders judge prompts from the defaults and the user's overrides; a template that does not parse is named. */
export class JudgeTemplates {
  private readonly parsed = new Map<TemplateName, Template>();

  constructor(private readonly overrides: TemplateOverrides = {}) {}

  render(name: TemplateName, values: Record<string, string>): string {
    let template = this.parsed.get(name);
    if (!template) {
      const source = this.overrides[name] ?? DEFAULT_TEMPLATES[name];
      try {
        template = new Template(source);
      } catch (error) {
        throw new Error(`the judge template '${name}' does not parse: ${errorMessage(error)}`);
      }
      this.parsed.set(name, template);
    }
    return template.render(values);
  }
}

/** The pairwise template for a segment: LLaVA-CoT stages have their own criteria, other segments share one. */
export function pairwiseTemplate(kind: string, label: string): TemplateName {
  if (kind !== 'stage') return 'pairwiseStep';
  switch (label) {
    case 'SUMMARY':
      return 'pairwiseSummary';
    case 'CAPTION':
      return 'pairwiseCaption';
    case 'REASONING':
      return 'pairwiseReasoning';
    case 'CONCLUSION':
      return 'pairwiseConclusion';
    default:
      return 'pairwiseStep';
  }
}
