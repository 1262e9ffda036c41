import * as fs from 'node:fs';
import { errorMessage } from '../errors/message';
import { type TemplateOverrides, templateOverridesSchema } from '../search/scorers';
import { UsageError } from './usage';

/** `--judge-templates FILE`, as every command that asks a judge takes it. */
export const judgeTemplatesOptions = { 'judge-templates': { type: 'string' } } as const;

/**
 * `--judge-templates FILE`: a JSON object of prompt templates by name, the shape of the editor's
 * `cotStudio.judge.templates`, so that a run from the command line asks the judges what the editor asks.
 */
export function judgeTemplatesOption(file: string | undefined): TemplateOverrides {
  if (file === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--judge-templates: cannot read ${file} as JSON: ${errorMessage(error)}`);
  }
  const parsed = templateOverridesSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`--judge-templates: ${file}: ${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
