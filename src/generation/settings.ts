import { z } from 'zod';
import { executionProviderSchema } from '../protocol';
import { readSetting } from '../settings/reader';

/** The backend the settings choose, with what it needs; the sample model stands in for an empty model path. */
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
export function readServerLimits(): { maxConcurrent: number; timeoutMs: number; retries: number } {
  return {
    maxConcurrent: readSetting('openai.maxConcurrent'),
    timeoutMs: Math.round(readSetting('openai.timeoutSeconds') * 1000),
    retries: readSetting('openai.retries'),
  };
}

/** Reads the settings; an empty model path means the sample model that ships with the extension. */
export function readBackendSettings(bundledModel: string): BackendSettings {
  if (readSetting('backend') === 'openai') {
    return backendSettingsSchema.parse({
      kind: 'openai',
      openai: { baseUrl: readSetting('openai.baseUrl'), model: readSetting('openai.model'), ...readServerLimits() },
    });
  }
  return backendSettingsSchema.parse({
    kind: 'local',
    local: {
      model: readSetting('engine.model') || bundledModel,
      provider: readSetting('engine.executionProvider'),
      variant: readSetting('engine.modelVariant'),
      prefixCacheBytes: Math.round(readSetting('engine.prefixCacheMB') * 1024 * 1024),
    },
  });
}
