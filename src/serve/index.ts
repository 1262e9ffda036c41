import { createHash, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { readJsonBody } from './body';
import { capConnections } from './connections';
import { ApiError, sendError, sendJson } from './reply';
import { serveGeneration, type GenerationContext } from './generation';
import { serveOptionsSchema, type ServeOptions, type ServeOptionsInput } from './options';
import { GenerationQueue } from './queue';
import { parseRequest, type Endpoint, type ReadImageFile } from './requests';
import { ImageResolver } from '../dataset/images';
import { errorMessage } from '../errors/message';

export { openBindWarning } from './exposure';
export { SERVE_LIMIT_DEFAULTS, serveOptionsSchema, type ServeOptions, type ServeOptionsInput } from './options';

export interface RunningServer {
  /** The OpenAI base URL, e.g. `http://127.0.0.1:8000/v1`. */
  url: string;
  /** Stops accepting requests, aborts the generations in flight or waiting, and resolves once they have ended. */
  close(): Promise<void>;
}

const ROUTES: Readonly<Record<string, { method: 'GET' | 'POST'; endpoint?: Endpoint }>> = {
  '/v1/models': { method: 'GET' },
  '/v1/completions': { method: 'POST', endpoint: 'completions' },
  '/v1/chat/completions': { method: 'POST', endpoint: 'chat' },
};

/** How often expired header and request timeouts are looked for; a timeout fires at most this late. */
const TIMEOUT_CHECK_MS = 1000;

/**
 * Serves a Backend as an OpenAI-compatible completions and chat server. The backend should run its model
 * off this thread (the engine process does), so that tokenising and decoding never hold up other clients.
 */
export async function startServer(input: ServeOptionsInput): Promise<RunningServer> {
  const options = serveOptionsSchema.parse(input);
  const context: GenerationContext = {
    backend: options.backend,
    queue: new GenerationQueue(options.maxQueue),
    modelName: options.modelName,
    live: new Set(),
  };
  const handling = new Set<Promise<void>>();
  const started = Math.floor(Date.now() / 1000);
  const timeouts = {
    headersTimeout: options.headersTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, options.headersTimeoutMs),
  };
  const server = http.createServer(timeouts, (req, res) => {
    const handled = handle(req, res, options, context, started).catch((error: unknown) => {
      sendError(res, error instanceof ApiError ? error : new ApiError(500, errorMessage(error), 'internal_error'));
    });
    handling.add(handled);
    void handled.finally(() => handling.delete(handled));
  });
  capConnections(server, options.maxConnections);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/v1`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const controller of context.live) controller.abort();
      server.closeAllConnections();
      await Promise.allSettled(handling);
      await closed;
    },
  };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, options: ServeOptions, context: GenerationContext, started: number): Promise<void> {
  if (options.apiKey !== undefined && !authorized(req.headers.authorization, options.apiKey)) {
    throw new ApiError(401, 'missing or wrong API key (send Authorization: Bearer <key>)', 'authentication_error');
  }
  const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
  const route = ROUTES[path];
  if (route === undefined) throw new ApiError(404, `no route ${req.method} ${path}`, 'not_found_error');
  if (req.method !== route.method) {
    throw new ApiError(405, `${path} takes ${route.method}, not ${req.method}`, 'invalid_request_error', null, { allow: route.method });
  }
  if (route.endpoint === undefined) {
    sendJson(res, 200, { object: 'list', data: [{ id: options.modelName, object: 'model', created: started, owned_by: 'cot-studio' }] });
    return;
  }
  const body = await readJsonBody(req, { maxBytes: options.maxBodyBytes, idleTimeoutMs: options.bodyIdleTimeoutMs });
  await serveGeneration(parseRequest(route.endpoint, body, imageFiles(options.imageRoots)), res, context);
}

/** Reads file:// images from under the served folders, as the dataset's images are read: real paths, image bytes. */
function imageFiles(roots: readonly string[]): ReadImageFile | undefined {
  if (roots.length === 0) return undefined;
  return (url) => {
    const file = fileURLToPath(url);
    const read = new ImageResolver(roots[0] as string, roots.slice(1), 'the served image folders (serve --image-root)').dataUri(file);
    if ('problem' in read) throw new Error(read.problem);
    return read.dataUri;
  };
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** The scheme's case does not matter (RFC 7235). */
function authorized(header: string | undefined, apiKey: string): boolean {
  const [, key] = /^bearer +(.*)$/i.exec(header ?? '') ?? [];
  // Digests of equal length compared in constant time: response times tell nothing of the key or its length.
  return key !== undefined && timingSafeEqual(digest(key), digest(apiKey));
}
