import { z } from 'zod';

export const executionProviderSchema = z.enum(['cuda', 'webgpu', 'cpu']);
export type ExecutionProvider = z.infer<typeof executionProviderSchema>;

/** The result of trying one execution provider on a probe model. */
export const providerProbeSchema = z.object({
  name: executionProviderSchema,
  ok: z.boolean(),
  /** On success what ran and how long it took; on failure why it failed. */
  detail: z.string(),
});
export type ProviderProbe = z.infer<typeof providerProbeSchema>;

export const engineStatusSchema = z.object({
  onnxruntimeVersion: z.string(),
  /** Where onnxruntime-node was loaded from, so an installed extension can be told from a dev checkout. */
  onnxruntimePath: z.string(),
  platform: z.string(),
  backends: z.array(z.object({ name: z.string(), bundled: z.boolean() })),
  providers: z.array(providerProbeSchema),
});
export type EngineStatus = z.infer<typeof engineStatusSchema>;

export const engineRequestSchema = z.discriminatedUnion('method', [
  z.object({ id: z.number().int(), method: z.literal('status') }),
]);
export type EngineRequest = z.infer<typeof engineRequestSchema>;
export type EngineMethod = EngineRequest['method'];

export const engineResponseSchema = z.union([
  z.object({ id: z.number().int(), ok: z.literal(true), result: engineStatusSchema }),
  z.object({ id: z.number().int(), ok: z.literal(false), error: z.string() }),
]);
export type EngineResponse = z.infer<typeof engineResponseSchema>;
