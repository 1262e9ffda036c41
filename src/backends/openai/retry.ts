/** A failed HTTP attempt. Retryable ones are tried again after the server's Retry-After or a backoff. */
export class AttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
    /** The HTTP status the server answered, when it answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Timeouts, conflicts, rate limits and server errors pass; other 4xx mean the request itself is wrong. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

const MAX_BACKOFF_MS = 30_000;
/** A server asking for a longer pause than this is treated as asking for this; the caller is waiting. */
const MAX_RETRY_AFTER_MS = 60_000;

/** Retry-After is delay-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  const ms = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isNaN(ms) ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/** Exponential backoff with jitter, so clients that failed together do not retry together. */
export function backoffDelay(baseMs: number, retry: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** retry);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}
