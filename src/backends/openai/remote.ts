import { z } from 'zod';
import { AttemptError, isRetryableStatus, parseRetryAfter } from './retry';
import type { Endpoint } from './requestBody';
import { SseParser } from './sse';
import { readChunk, type Chunk } from './wire';

export interface Attempt {
  url: string;
  endpoint: Endpoint;
  body: unknown;
  apiKey?: string;
  timeoutMs: number;
}

/** Ends an attempt when the server has been silent for too long; every piece of the stream restarts it. */
class Watchdog {
  private timer: NodeJS.Timeout | undefined;
  fired = false;

  constructor(
    private readonly ms: number,
    private readonly onFire: () => void,
  ) {
    this.kick();
  }

  kick(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.onFire();
    }, this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/**
 * One HTTP attempt: posts the body and hands every streamed chunk to `onChunk` until `data: [DONE]`.
 * Aborting `signal` rejects with the signal's reason; other failures are AttemptErrors or malformed-response errors.
 */
export async function streamOnce(attempt: Attempt, signal: AbortSignal, onChunk: (chunk: Chunk) => void): Promise<void> {
  const { url, timeoutMs } = attempt;
  const controller = new AbortController();
  const watchdog = new Watchdog(timeoutMs, () => controller.abort());
  const failure = (what: string, error: unknown): unknown => {
    if (signal.aborted) return signal.reason;
    if (watchdog.fired) return new AttemptError(`no answer from ${url} for ${timeoutMs} ms`, true);
    return new AttemptError(`${what} ${url}: ${describe(error)}`, true);
  };
  try {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          ...(attempt.apiKey !== undefined && { authorization: `Bearer ${attempt.apiKey}` }),
        },
        body: JSON.stringify(attempt.body),
        signal: AbortSignal.any([signal, controller.signal]),
      });
    } catch (error) {
      throw failure('cannot reach', error);
    }
    if (!response.ok) {
      const message = await serverMessage(response);
      if (signal.aborted) throw signal.reason;
      throw new AttemptError(
        `${url} answered ${response.status} ${response.statusText}: ${message}`,
        isRetryableStatus(response.status),
        parseRetryAfter(response.headers.get('retry-after')),
        response.status,
      );
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (!contentType.includes('text/event-stream') || response.body === null) {
      throw new Error(`malformed response: ${url} answered ${contentType || 'no content type'} instead of an event stream`);
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    for (;;) {
      const read = await reader.read().catch((error: unknown) => {
        throw failure('lost the connection to', error);
      });
      watchdog.kick();
      const events = read.done ? [...parser.push(decoder.decode()), ...parser.end()] : parser.push(decoder.decode(read.value, { stream: true }));
      for (const data of events) {
        if (data.trim() === '[DONE]') return;
        // An abort from within onChunk takes effect before the next chunk, not at the next read.
        signal.throwIfAborted();
        onChunk(readChunk(attempt.endpoint, data));
      }
      if (read.done) throw new AttemptError(`${url} closed the stream before data: [DONE]`, true);
    }
  } finally {
    watchdog.stop();
    // Releases the connection when the stream ended early or a chunk was rejected.
    controller.abort();
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}

const errorBodySchema = z.union([
  z.object({ error: z.object({ message: z.string() }) }).transform((body) => body.error.message),
  z.object({ error: z.string() }).transform((body) => body.error),
  z.object({ message: z.string() }).transform((body) => body.message),
  z.object({ detail: z.string() }).transform((body) => body.detail),
]);

/** The server's own words for a failed request (each server family words its error body differently). */
async function serverMessage(response: Response): Promise<string> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return `(no readable body: ${describe(error)})`;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = errorBodySchema.safeParse(json);
  return parsed.success ? parsed.data : text.trim().slice(0, 500) || '(empty body)';
}
