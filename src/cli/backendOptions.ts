import * as path from 'node:path';
import { z } from 'zod';
import { OpenAICompatibleBackend } from '../backends/openai';
import type { Backend } from '../backends/types';
import { modelOptions, parseOptions, startEngineProcess } from './modelOptions';
import { UsageError } from './usage';

/** Options of commands that generate with either the local model or an OpenAI-compatible server. */
export const backendOptions = {
  ...modelOptions,
  endpoint: { type: 'string' },
  'endpoint-model': { type: 'string' },
  'api-key-env': { type: 'string' },
} as const;

export interface BackendValues {
  model?: string | undefined;
  provider?: string | undefined;
  variant?: string | undefined;
  'engine-deadline'?: string | undefined;
  endpoint?: string | undefined;
  'endpoint-model'?: string | undefined;
  'api-key-env'?: string | undefined;
}

const endpointSchema = z.object({
  endpoint: z.url({ protocol: /^https?$/, error: '--endpoint must be an http(s) URL such as http://host:8000/v1' }),
  endpointModel: z.string({ error: '--endpoint-model NAME is required with --endpoint' }).min(1),
});

/** Where candidates will come from, checked before anything is loaded. */
export interface BackendChoice {
  /** Names the model folder or server and model, so a journal can tell whether a run used the same one. */
  key: string;
  /** The default number of records in flight: the local engine runs one generation at a time anyway. */
  concurrency: number;
  open(concurrency: number): Promise<Backend>;
}

export function chooseBackend(values: BackendValues): BackendChoice {
  if (values.model !== undefined && values.endpoint !== undefined) throw new UsageError('--model and --endpoint are mutually exclusive; give one');
  if (values.endpoint === undefined) {
    for (const option of ['endpoint-model', 'api-key-env'] as const) {
      if (values[option] !== undefined) throw new UsageError(`--${option} needs --endpoint URL`);
    }
    if (values.model === undefined) throw new UsageError('give --model DIR or --endpoint URL --endpoint-model NAME');
    return { key: `model:${path.resolve(values.model)}`, concurrency: 1, open: async () => (await startEngineProcess(values)).backend };
  }
  for (const option of ['provider', 'variant', 'engine-deadline'] as const) {
    if (values[option] !== undefined) throw new UsageError(`--${option} is for a local model (--model DIR); the server at --endpoint runs its own`);
  }
  const { endpoint, endpointModel } = parseOptions(endpointSchema, { endpoint: values.endpoint, endpointModel: values['endpoint-model'] });
  const variable = values['api-key-env'];
  // The key is read from the environment, never from argv, which other users of the machine can read.
  const apiKey = variable === undefined ? undefined : process.env[variable];
  if (variable !== undefined && !apiKey) throw new UsageError(`--api-key-env: ${variable} is not set`);
  return {
    key: `endpoint:${endpoint} ${endpointModel}`,
    concurrency: 4,
    open: async (concurrency) =>
      new OpenAICompatibleBackend({ baseUrl: endpoint, model: endpointModel, maxConcurrent: concurrency, ...(apiKey ? { apiKey } : {}) }),
  };
}
