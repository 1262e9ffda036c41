import { z } from 'zod';
import type { Backend } from '../backends/types';

/** Connection limits when none are given; the command line shows the same in seconds. */
export const SERVE_LIMIT_DEFAULTS = { maxConnections: 64, headersTimeoutMs: 10_000, requestTimeoutMs: 120_000, bodyIdleTimeoutMs: 10_000 } as const;

export const serveOptionsSchema = z
  .object({
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
    /** Folders a file:// image URL may be read from (their real paths; links followed); none refuses every file URL. */
    imageRoots: z.array(z.string()).default([]),
    /** Request bodies above this are answered 413; data-URI images make bodies large. */
    maxBodyBytes: z
      .number()
      .int()
      .min(1)
      .default(64 * 1024 * 1024),
    /** Open connections past this are closed at once (idle ones first make room); each can hold a body of up to maxBodyBytes in memory. */
    maxConnections: z.number().int().min(1).default(SERVE_LIMIT_DEFAULTS.maxConnections),
    /** Request headers must arrive within this, or the connection is answered 408 and closed. */
    headersTimeoutMs: z.number().int().min(1).default(SERVE_LIMIT_DEFAULTS.headersTimeoutMs),
    /** The whole request, headers and body, must arrive within this (408); a large image body needs time. */
    requestTimeoutMs: z.number().int().min(1).default(SERVE_LIMIT_DEFAULTS.requestTimeoutMs),
    /** A body that sends nothing for this long is answered 408 and its connection closed. */
    bodyIdleTimeoutMs: z.number().int().min(1).default(SERVE_LIMIT_DEFAULTS.bodyIdleTimeoutMs),
  })
  .refine((options) => options.headersTimeoutMs <= options.requestTimeoutMs, {
    message: 'the headers timeout cannot be longer than the request timeout, which includes the headers',
    path: ['headersTimeoutMs'],
  });
export type ServeOptions = z.infer<typeof serveOptionsSchema>;
export type ServeOptionsInput = z.input<typeof serveOptionsSchema>;
