import { z } from 'zod';
import { generationRequestSchema, generationResultSchema, promptSchema, tokenEventSchema } from './generation';
import { executionProviderSchema } from './provider';

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

/** What bounds a prompt, so that one which cannot fit can be refused before it is tokenised. */
export const promptLimitsSchema = z.object({
  /** Positions the model reads, prompt and generated tokens together; absent when its config does not say. */
  contextTokens: z.number().int().positive().optional(),
  /** The most UTF-8 bytes one token stands for; absent when the tokenizer can fold any run of text into one token. */
  maxTokenBytes: z.number().int().positive().optional(),
});
export type PromptLimits = z.infer<typeof promptLimitsSchema>;

/** Where the engine looked and what it loaded; shown by "Show Model Status" and the status bar. */
export const loadedModelSchema = z.object({
  dir: z.string(),
  name: z.string(),
  file: z.string(),
  provider: executionProviderSchema,
  /** Every provider tried, in order, and why the ones before the chosen one failed. */
  attempts: z.array(providerProbeSchema),
  loadMs: z.number(),
  layers: z.number().int(),
  kvHeads: z.number().int(),
  headDim: z.number().int(),
  kvType: z.enum(['float32', 'float16']),
  limits: promptLimitsSchema,
  /** A vision-language model's family and image graphs; absent for a text model, which does not see images. */
  vision: z.object({ family: z.string(), encoderFile: z.string(), embedFile: z.string() }).optional(),
});
export type LoadedModel = z.infer<typeof loadedModelSchema>;

/** The engine holds the policy (what generates) and, when one is configured, a reward model beside it. */
export const modelSlotSchema = z.enum(['policy', 'reward']);
export type ModelSlot = z.infer<typeof modelSlotSchema>;

export const loadRequestSchema = z.object({
  slot: modelSlotSchema.default('policy'),
  model: z.string().min(1),
  provider: z.union([z.literal('auto'), executionProviderSchema]).default('auto'),
  variant: z.string().default('auto'),
  prefixCacheBytes: z.number().int().min(0).optional(),
});
export type LoadRequest = z.input<typeof loadRequestSchema>;

export const engineRequestSchema = z.discriminatedUnion('method', [
  z.object({ id: z.number().int(), method: z.literal('status') }),
  z.object({ id: z.number().int(), method: z.literal('load'), params: loadRequestSchema }),
  z.object({ id: z.number().int(), method: z.literal('generate'), params: generationRequestSchema }),
  /** Log-probabilities of single tokens coming next after a prompt, from the model in `slot` (a reward model's step scores). */
  z.object({
    id: z.number().int(),
    method: z.literal('score'),
    params: z.object({
      slot: modelSlotSchema.default('reward'),
      prompt: promptSchema,
      tokens: z.array(z.string().min(1)).min(1).max(16),
      /** The prompt's images, as data URIs; a text model reads the text alone. */
      images: generationRequestSchema.shape.images,
    }),
  }),
  /** Stops the generation with request id `target` between two model calls; it resolves with what it has. */
  z.object({ id: z.number().int(), method: z.literal('cancel'), params: z.object({ target: z.number().int() }) }),
]);
export type EngineRequest = z.infer<typeof engineRequestSchema>;
export type EngineMethod = EngineRequest['method'];

/** What each method resolves with. */
export const engineResultSchemas = {
  status: engineStatusSchema,
  load: loadedModelSchema,
  generate: generationResultSchema,
  cancel: z.object({ cancelled: z.boolean() }),
  score: z.object({ logprobs: z.array(z.number()) }),
} as const;
export type EngineResult<M extends EngineMethod> = z.infer<(typeof engineResultSchemas)[M]>;
export type EngineParams<M extends EngineMethod> = Extract<EngineRequest, { method: M }> extends { params: infer P } ? z.input<z.ZodType<P>> : undefined;

export const engineMessageSchema = z.union([
  z.object({ id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  /** `code` names a failure the caller answers differently: a prompt that does not fit the context. */
  z.object({ id: z.number().int(), ok: z.literal(false), error: z.string(), code: z.literal('context_length_exceeded').optional() }),
  /** Streamed text of one candidate of the generation with request id `id`. */
  z.object({ id: z.number().int(), event: z.literal('token'), token: tokenEventSchema }),
  /** The step the request with id `id` is starting (rendering its chat template, tokenising, running the model). */
  z.object({ id: z.number().int(), event: z.literal('progress'), doing: z.string() }),
]);
export type EngineMessage = z.infer<typeof engineMessageSchema>;
