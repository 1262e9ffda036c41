import { parseArgs } from 'node:util';
import { z } from 'zod';
import { openBindWarning, SERVE_LIMIT_DEFAULTS as DEFAULTS, startServer } from '../serve';
import { imageRootsOption } from './datasetFile';
import { modelOptions, numberOption, parseOptions, startEngineProcess } from './modelOptions';
import { printErr, printOut } from './terminal';

const seconds = z
  .number()
  .min(0.001)
  .max(24 * 60 * 60);

const serveArgsSchema = z
  .object({
    port: z.number().int().min(0).max(65_535).default(8000),
    host: z.string().min(1).default('127.0.0.1'),
    maxQueue: z.number().int().min(0).optional(),
    maxConnections: z.number().int().min(1).default(DEFAULTS.maxConnections),
    headerTimeout: seconds.default(DEFAULTS.headersTimeoutMs / 1000),
    requestTimeout: seconds.default(DEFAULTS.requestTimeoutMs / 1000),
    bodyTimeout: seconds.default(DEFAULTS.bodyIdleTimeoutMs / 1000),
  })
  .refine((options) => options.headerTimeout <= options.requestTimeout, {
    message: '--header-timeout cannot be longer than --request-timeout, which includes the headers',
    path: ['headerTimeout'],
  });

/**
 * `cot-studio serve --model DIR --port P`: the local engine behind an OpenAI-compatible API, so one GPU
 * machine can serve a team. The model runs in the engine process, so tokenising and decoding never stall
 * the server's answers to other clients. The key clients must send is read from COT_STUDIO_API_KEY, never
 * from argv (which other users of the machine can read).
 */
export async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...modelOptions,
      port: { type: 'string' },
      host: { type: 'string' },
      'max-queue': { type: 'string' },
      'max-connections': { type: 'string' },
      'header-timeout': { type: 'string' },
      'request-timeout': { type: 'string' },
      'body-timeout': { type: 'string' },
      name: { type: 'string' },
      'image-root': { type: 'string', multiple: true },
    },
    strict: true,
  });
  const limits = parseOptions(serveArgsSchema, {
    port: numberOption(values.port),
    host: values.host,
    maxQueue: numberOption(values['max-queue']),
    maxConnections: numberOption(values['max-connections']),
    headerTimeout: numberOption(values['header-timeout']),
    requestTimeout: numberOption(values['request-timeout']),
    bodyTimeout: numberOption(values['body-timeout']),
  });
  // Loaded before listening, so a model that cannot load fails the command instead of the first request.
  const { backend, model } = await startEngineProcess(values);
  try {
    const apiKey = process.env.COT_STUDIO_API_KEY || undefined;
    const server = await startServer({
      backend,
      host: limits.host,
      port: limits.port,
      modelName: values.name ?? model.name,
      imageRoots: imageRootsOption(values['image-root']),
      ...(apiKey ? { apiKey } : {}),
      ...(limits.maxQueue === undefined ? {} : { maxQueue: limits.maxQueue }),
      maxConnections: limits.maxConnections,
      headersTimeoutMs: Math.round(limits.headerTimeout * 1000),
      requestTimeoutMs: Math.round(limits.requestTimeout * 1000),
      bodyIdleTimeoutMs: Math.round(limits.bodyTimeout * 1000),
    });
    const warning = openBindWarning(new URL(server.url).hostname, apiKey);
    if (warning !== undefined) printErr(`${warning}\n`);
    printOut(
      `Serving ${model.name} (${model.provider}${model.vision ? `, sees images: ${model.vision.family}` : ''}) at ${server.url}${apiKey ? ' (API key required)' : ''}\n` +
        `  POST ${server.url}/completions, ${server.url}/chat/completions; GET ${server.url}/models. Ctrl+C stops.\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
  } finally {
    await backend.dispose();
  }
  return 0;
}
