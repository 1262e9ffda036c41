import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startServer } from '../serve';
import { loadEngine, modelOptions, numberOption, parseOptions } from './modelOptions';

const serveArgsSchema = z.object({
  port: z.number().int().min(0).max(65_535).default(8000),
  host: z.string().min(1).default('127.0.0.1'),
  maxQueue: z.number().int().min(0).optional(),
});

/**
 * `cot-studio serve --model DIR --port P`: the local engine behind an OpenAI-compatible API, so one GPU
 * machine can serve a team. The key clients must send is read from COT_STUDIO_API_KEY, never from argv
 * (which other users of the machine can read).
 */
export async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...modelOptions, port: { type: 'string' }, host: { type: 'string' }, 'max-queue': { type: 'string' }, name: { type: 'string' } },
    strict: true,
  });
  const { port, host, maxQueue } = parseOptions(serveArgsSchema, { port: numberOption(values.port), host: values.host, maxQueue: numberOption(values['max-queue']) });
  const engine = await loadEngine(values);
  const apiKey = process.env.COT_STUDIO_API_KEY || undefined;
  const server = await startServer({
    backend: engine,
    host,
    port,
    modelName: values.name ?? engine.folder.name,
    ...(apiKey ? { apiKey } : {}),
    ...(maxQueue === undefined ? {} : { maxQueue }),
  });
  process.stdout.write(
    `Serving ${engine.folder.name} (${engine.provider}) at ${server.url}${apiKey ? ' (API key required)' : ''}\n` +
      `  POST ${server.url}/completions, ${server.url}/chat/completions; GET ${server.url}/models. Ctrl+C stops.\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await engine.dispose();
  return 0;
}
