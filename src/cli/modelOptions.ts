import * as path from 'node:path';
import { z } from 'zod';
import { EngineProcessBackend } from '../backends/engineProcess';
import type { Backend } from '../backends/types';
import { DEFAULT_ENGINE_DEADLINE_MS, EngineClient } from '../engineClient';
import { modelVariantSchema } from '../engine/model/folder';
import { executionProviderSchema, type LoadedModel, type ModelSlot } from '../protocol';
import type { NextTokenLogprobs } from '../search/scorers';
import { printErr } from './terminal';
import { UsageError } from './usage';

/** Options every command that loads a local model takes. */
export const modelOptions = {
  model: { type: 'string' },
  // No defaults here (the schema has them), so that a command can tell whether they were given.
  provider: { type: 'string' },
  variant: { type: 'string' },
  'engine-deadline': { type: 'string' },
} as const;

const loadSchema = z.object({
  model: z.string({ error: '--model DIR is required' }),
  provider: z.union([z.literal('auto'), executionProviderSchema], { error: '--provider must be auto, cuda, webgpu or cpu' }).default('auto'),
  variant: modelVariantSchema.default('auto'),
  /** Seconds the engine may go without progress before it is stopped (a first pass over a long prompt on a CPU is the longest). */
  engineDeadline: z
    .number()
    .positive()
    .max(24 * 60 * 60)
    .default(DEFAULT_ENGINE_DEADLINE_MS / 1000),
});

/** Validates a command line's numbers and names with a schema, naming the option that is wrong. */
export function parseOptions<T>(schema: z.ZodType<T>, values: unknown): T {
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const option = issue?.path.length ? `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : 'options';
  throw new UsageError(issue?.message.startsWith('--') ? issue.message : `${option}: ${issue?.message ?? 'invalid'}`);
}

/** A number given on the command line, or undefined when absent, so the schema's default applies. */
export const numberOption = (value: string | undefined): number | undefined => (value === undefined ? undefined : Number(value));

type ModelValues = { model?: string | undefined; provider?: string | undefined; variant?: string | undefined; 'engine-deadline'?: string | undefined };

/** The model folder, provider and variant a command line names. */
export const loadOptions = (values: ModelValues): z.infer<typeof loadSchema> =>
  parseOptions(loadSchema, {
    model: values.model,
    provider: values.provider,
    variant: values.variant,
    engineDeadline: numberOption(values['engine-deadline']),
  });

/** The bundle next to this one that the engine process runs. */
const ENGINE_SCRIPT = path.join(__dirname, 'engine.js');

/** The local model behind a backend, and where it runs once loaded. */
export interface EngineProcess {
  backend: Backend;
  model: LoadedModel;
  /** Log-probabilities of single tokens coming next after a prompt: a process reward model's step scores. */
  nextToken: NextTokenLogprobs;
}

/**
 * The model in the engine process, as the editor runs it: a stuck step (a chat template that never ends)
 * misses the engine's deadline and is stopped with an error naming it, instead of hanging the command, and
 * tokenising or decoding never blocks this process (a server's other clients). Loaded before it is returned,
 * so a model that cannot load fails the command at once. A model in the reward slot only scores.
 */
export async function startEngineProcess(values: ModelValues, slot: ModelSlot = 'policy'): Promise<EngineProcess> {
  const { engineDeadline, ...load } = loadOptions(values);
  const engine = new EngineClient(ENGINE_SCRIPT, (line) => printErr(`${line}\n`), { deadlineMs: engineDeadline * 1000 });
  const local = new EngineProcessBackend(engine, { ...load, slot });
  let model: LoadedModel;
  try {
    model = await local.model();
  } catch (error) {
    engine.dispose();
    throw error;
  }
  // The backend owns its engine process here (the editor's engine serves several backends).
  const backend: Backend = {
    name: `local:${model.name}`,
    grammar: local.grammar,
    generate: (request, options) => local.generate(request, options),
    promptLimits: () => local.promptLimits(),
    async dispose() {
      await local.dispose();
      engine.dispose();
    },
  };
  return { backend, model, nextToken: (prompt, tokens, images) => local.nextTokenLogprobs(prompt, tokens, images) };
}
