import { z } from 'zod';
import { formatIdSchema } from '../dataset/record';
import { MODEL_VARIANTS } from '../engine/model/folder';
import { executionProviderSchema } from '../protocol';
import { rankingSchema, templateOverridesSchema } from '../search/scorers';
import { labellerKindSchema } from '../stepLabels/prelabel';

/** An OpenAI-compatible server that joins the tree search as a policy or a judge, with its weight among the judges. */
export const collectiveServerSchema = z.object({
  baseUrl: z.url({ protocol: /^https?$/ }),
  model: z.string().min(1),
  weight: z.number().positive().default(1),
});
export type CollectiveServer = z.infer<typeof collectiveServerSchema>;

/**
 * Every `cotStudio.*` setting the manifest contributes, by its name under `cotStudio.`, with the values it
 * may take. A test keeps this and the manifest's `contributes.configuration` the same.
 */
export const settingsSchema = z.object({
  backend: z.enum(['local', 'openai']),
  'engine.executionProvider': z.union([z.literal('auto'), executionProviderSchema]),
  'engine.model': z.string(),
  'engine.modelVariant': z.enum(['auto', ...MODEL_VARIANTS]),
  'engine.prefixCacheMB': z.number().min(0),
  'openai.baseUrl': z.string(),
  'openai.model': z.string(),
  'openai.maxConcurrent': z.number().int().min(1),
  'openai.timeoutSeconds': z.number().positive(),
  'openai.retries': z.number().int().min(0),
  annotator: z.string(),
  reflectionPhrase: z.string(),
  imageRoots: z.array(z.string()),
  format: z.union([z.literal('auto'), formatIdSchema]),
  'mcts.iterations': z.number().int().min(1).max(200),
  'mcts.samples': z.number().int().min(1).max(16),
  'mcts.explorationConstant': z.number().min(0),
  'mcts.temperature': z.number().min(0).max(2),
  'mcts.answerCheck': z.enum(['rules', 'judge']),
  'mcts.policies': z.array(collectiveServerSchema),
  'mcts.judges': z.array(collectiveServerSchema),
  'regenerate.candidates': z.number().int().min(1).max(16),
  'regenerate.temperature': z.number().min(0).max(2),
  'regenerate.topP': z.number().gt(0).max(1),
  'regenerate.maxTokens': z.number().int().min(1),
  'regenerate.rank': rankingSchema,
  'judge.templates': templateOverridesSchema,
  'rewardModel.model': z.string(),
  'rewardModel.template': z.string(),
  'rewardModel.goodToken': z.string(),
  'rewardModel.badToken': z.string(),
  'prelabel.labeller': labellerKindSchema,
  'prelabel.judgeBaseUrl': z.union([z.literal(''), z.url({ protocol: /^https?$/ })]),
  'prelabel.judgeModel': z.string(),
});
export type Settings = z.infer<typeof settingsSchema>;
export type SettingKey = keyof Settings;

/** The first problem of a setting's value, as `cotStudio.KEY[path]: message`. */
export function settingProblem(key: SettingKey, error: z.ZodError): string {
  const issue = error.issues[0];
  return `cotStudio.${key}${issue?.path.map((part) => `[${String(part)}]`).join('') ?? ''}: ${issue?.message ?? 'invalid'}`;
}
