import type * as vscode from 'vscode';
import { z } from 'zod';
import { executionProviderSchema } from '../protocol';

/** The settings under `cotStudio.*` that choose and configure the backend, validated once here. */
const backendSettingsSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('local'),
    local: z.object({
      model: z.string(),
      provider: z.union([z.literal('auto'), executionProviderSchema]),
      variant: z.string(),
      prefixCacheBytes: z.number().int().min(0),
    }),
  }),
  z.object({
    kind: z.literal('openai'),
    openai: z.object({
      baseUrl: z.string(),
      model: z.string(),
      maxConcurrent: z.number().int().min(1),
      timeoutMs: z.number().int().min(1),
      retries: z.number().int().min(0),
    }),
  }),
]);
export type BackendSettings = z.infer<typeof backendSettingsSchema>;

/** How hard any OpenAI-compatible server is asked: concurrency, per-attempt timeout, retries. */
export function readServerLimits(config: vscode.WorkspaceConfiguration): { maxConcurrent: number; timeoutMs: number; retries: number } {
  return {
    maxConcurrent: config.get<number>('openai.maxConcurrent', 4),
    timeoutMs: Math.round(config.get<number>('openai.timeoutSeconds', 120) * 1000),
    retries: config.get<number>('openai.retries', 3),
  };
}

/** Reads the settings; an empty model path means the sample model that ships with the extension. */
export function readBackendSettings(config: vscode.WorkspaceConfiguration, bundledModel: string): BackendSettings {
  const kind = config.get<string>('backend', 'local');
  if (kind === 'openai') {
    return backendSettingsSchema.parse({
      kind,
      openai: { baseUrl: config.get<string>('openai.baseUrl', ''), model: config.get<string>('openai.model', ''), ...readServerLimits(config) },
    });
  }
  return backendSettingsSchema.parse({
    kind: 'local',
    local: {
      model: config.get<string>('engine.model', '') || bundledModel,
      provider: config.get<string>('engine.executionProvider', 'auto'),
      variant: config.get<string>('engine.modelVariant', 'auto'),
      prefixCacheBytes: Math.round(config.get<number>('engine.prefixCacheMB', 1024) * 1024 * 1024),
    },
  });
}

/** An OpenAI-compatible server that joins the tree search as a policy or a judge, with its weight among the judges. */
export const collectiveServerSchema = z.object({
  baseUrl: z.string().url(),
  model: z.string().min(1),
  weight: z.number().positive().default(1),
});
export type CollectiveServer = z.infer<typeof collectiveServerSchema>;

/** `cotStudio.mcts.policies` / `cotStudio.mcts.judges`, validated; a bad entry is named. */
export function readCollectiveServers(config: vscode.WorkspaceConfiguration, key: 'policies' | 'judges'): CollectiveServer[] {
  const parsed = z.array(collectiveServerSchema).safeParse(config.get<unknown>(`mcts.${key}`, []));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`cotStudio.mcts.${key}${issue?.path.map((part) => `[${String(part)}]`).join('') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
