import { z } from 'zod';
import type { Backend } from '../backends/types';

export const serveOptionsSchema = z.object({
  backend: z.custom<Backend>((value) => typeof value === 'object' && value !== null && 'generate' in value, 'expected a Backend'),
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 picks any free port. */
  port: z.number().int().min(0).max(65_535).default(0),
  /** The model id clients see in /v1/models and in every response. */
  modelName: z.string().min(1),
  /** When set, every request must carry `Authorization: Bearer <apiKey>`. */
  apiKey: z.string().min(1).optional(),
  /** Requests allowed to wait behind the running one; more are answered 503 with Retry-After. */
  maxQueue: z.number().int().min(0).optional(),
  /** Request bodies above this are answered 413; data-URI images make bodies large. */
  maxBodyBytes: z.number().int().min(1).default(64 * 1024 * 1024),
});
export type ServeOptions = z.infer<typeof serveOptionsSchema>;
export type ServeOptionsInput = z.input<typeof serveOptionsSchema>;
