import type { ServerResponse } from 'node:http';

/** A request that ends in an OpenAI-style error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly param: string | null = null,
    readonly headers: Readonly<Record<string, string>> = {},
    /** OpenAI names some failures (`context_length_exceeded`); the rest carry their status, as vLLM's do. */
    readonly code: string | number = status,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, param: string | null = null): ApiError => new ApiError(400, message, 'invalid_request_error', param);

/** OpenAI's answer to a prompt that, with max_tokens, does not fit the model; `param` is the prompt's field. */
export const contextLengthExceeded = (message: string, param: string): ApiError =>
  new ApiError(400, message, 'invalid_request_error', param, {}, 'context_length_exceeded');

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, error: ApiError): void {
  sendJson(res, error.status, { error: { message: error.message, type: error.type, param: error.param, code: error.code } }, error.headers);
}
