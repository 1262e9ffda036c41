import { z } from 'zod';

export const openAIBackendOptionsSchema = z.object({
  /** The server's OpenAI-compatible root, e.g. `http://host:8000/v1`. */
  baseUrl: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, '')),
  model: z.string().min(1),
  /** Sent as a bearer token; read from secret storage by the caller and never logged. */
  apiKey: z.string().min(1).optional(),
  /** Requests in flight at once across all calls of one backend. */
  maxConcurrent: z.number().int().min(1).default(4),
  /** How long one HTTP attempt may wait for the response or for the next piece of the stream. */
  timeoutMs: z.number().int().min(1).default(120_000),
  /** Further attempts after a network error, a timeout, 408, 409, 429 or 5xx. */
  retries: z.number().int().min(0).default(3),
  /** First backoff delay; it doubles with each retry (with jitter) unless the server sends Retry-After. */
  backoffMs: z.number().int().min(0).default(500),
  /**
   * Where the server takes no constraint, candidates that break their segment's markup are drawn again this many
   * times at most (each time only those), before the search drops what is still broken.
   */
  redraws: z.number().int().min(0).max(8).default(2),
});
export type OpenAIBackendOptions = z.infer<typeof openAIBackendOptionsSchema>;
export type OpenAIBackendOptionsInput = z.input<typeof openAIBackendOptionsSchema>;
