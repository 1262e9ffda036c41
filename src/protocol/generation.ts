import { z } from 'zod';
import { executionProviderSchema } from './provider';

/** How candidates are drawn; the same fields for the local engine and OpenAI-compatible servers. */
export const samplingSchema = z.object({
  /** Candidates decoded together as one batch. */
  n: z.number().int().min(1).max(64).default(1),
  maxTokens: z.number().int().min(1).max(32_768).default(256),
  /** 0 is greedy. */
  temperature: z.number().min(0).max(10).default(1),
  /** 0 keeps every token. */
  topK: z.number().int().min(0).default(0),
  topP: z.number().gt(0).max(1).default(1),
  /** Same seed, same prompt, same parameters: same candidates. */
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .optional(),
  /** Checked on the decoded text; the candidate ends before the first match. */
  stop: z.array(z.string().min(1)).max(16).default([]),
  ignoreEos: z.boolean().default(false),
  /**
   * Strings no candidate may hold (another segment's tags, a header): a token that would complete one is never
   * drawn. Checked on the decoded text, so a string the tokenizer spells with several tokens is kept out as surely
   * as one that is a single token.
   */
  forbid: z.array(z.string().min(1)).max(64).default([]),
  /** The candidate must end on a stop string: the end of the sequence is never drawn before one. */
  requireStop: z.boolean().default(false),
  /**
   * A regular expression (JavaScript syntax, no flags) the whole text, its stop string included, must match, as
   * vLLM's `structured_outputs.regex` reads one: no token that leaves no way to a match is drawn, and the end of the
   * sequence only where the text is a match.
   */
  regex: z.string().min(1).max(16_384).optional(),
});
export type Sampling = z.infer<typeof samplingSchema>;
export type SamplingInput = z.input<typeof samplingSchema>;

export const chatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/**
 * A prompt is raw text, or chat messages rendered by the model's chat template; with `continueFinal` the
 * last (assistant) message is an unfinished prefix the model continues, which is how a stage is regenerated.
 */
export const promptSchema = z.union([
  z.object({ text: z.string() }),
  z.object({ messages: z.array(chatMessageSchema).min(1), continueFinal: z.boolean().default(false) }),
]);
export type Prompt = z.infer<typeof promptSchema>;

/** How an image travels with a request: base64 inline, never a path or URL for the receiver to read. */
export const IMAGE_DATA_URI = /^data:image\/[\w.+-]+;base64,/;

/**
 * One generation: a prompt, its images (in order) and how to sample. A model that sees images gets them as
 * data URIs, which a dataset's ImageResolver reads from its allowed folders; a text-only engine ignores them.
 */
export const generationRequestSchema = z.object({
  prompt: promptSchema,
  images: z.array(z.string()).max(16).optional(),
  sampling: samplingSchema.partial().optional(),
  /**
   * When the prompt and maxTokens together pass the model's context: `shorten` maxTokens to what fits, or
   * `refuse` the request, as OpenAI servers do with an explicit max_tokens.
   */
  contextOverflow: z.enum(['shorten', 'refuse']).default('shorten'),
});
export type GenerationRequest = z.input<typeof generationRequestSchema>;

export const finishReasonSchema = z.enum(['stop', 'eos', 'length', 'cancelled']);
export type FinishReason = z.infer<typeof finishReasonSchema>;

export const candidateSchema = z.object({
  text: z.string(),
  /** Ids of the kept tokens (after a stop string is cut, the tokens that produced the kept text). */
  tokens: z.array(z.number().int()),
  /** Sum of the kept tokens' log-probabilities under the sampling distribution's model (before temperature). */
  logprob: z.number(),
  tokenLogprobs: z.array(z.number()),
  finishReason: finishReasonSchema,
  /** The stop string that ended the candidate, when one did. */
  stopString: z.string().optional(),
});
export type Candidate = z.infer<typeof candidateSchema>;

export const generationResultSchema = z.object({
  promptTokens: z.array(z.number().int()),
  candidates: z.array(candidateSchema),
  /** Where it ran: an execution provider for the local engine, `remote` for a server. */
  ep: z.union([executionProviderSchema, z.literal('remote')]),
  model: z.string(),
  /** The seed candidate 0 sampled with (candidate i uses seed + i); chosen at random when none was asked for. */
  seed: z.number().int().optional(),
  timing: z.object({ loadMs: z.number(), generateMs: z.number() }),
  /** Tokens run through the model, prompt included, so prefix reuse can be measured. */
  tokensComputed: z.number().int(),
  /**
   * How many of the request's images the model was shown: all of them for a vision-language model or a server
   * (which is sent them), none for a local text model, which reads the text alone.
   */
  imagesSeen: z.number().int().min(0).optional(),
});
export type GenerationResult = z.infer<typeof generationResultSchema>;

/** A piece of one candidate's text as it is decoded. */
export const tokenEventSchema = z.object({ candidate: z.number().int().min(0), text: z.string() });
export type TokenEvent = z.infer<typeof tokenEventSchema>;
