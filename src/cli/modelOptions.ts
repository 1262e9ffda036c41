import { z } from 'zod';
import { LocalEngine } from '../engine/localEngine';
import { modelVariantSchema } from '../engine/model/folder';
import { executionProviderSchema } from '../protocol';
import { UsageError } from './usage';

/** Options every command that loads a local model takes. */
export const modelOptions = {
  model: { type: 'string' },
  // No defaults here (the schema has them), so that a command can tell whether they were given.
  provider: { type: 'string' },
  variant: { type: 'string' },
} as const;

const loadSchema = z.object({
  model: z.string({ error: '--model DIR is required' }),
  provider: z.union([z.literal('auto'), executionProviderSchema], { error: '--provider must be auto, cuda, webgpu or cpu' }).default('auto'),
  variant: modelVariantSchema.default('auto'),
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

type ModelValues = { model?: string | undefined; provider?: string | undefined; variant?: string | undefined };

/** The model folder, provider and variant a command line names. */
export const loadOptions = (values: ModelValues): z.infer<typeof loadSchema> => parseOptions(loadSchema, values);

export function loadEngine(values: ModelValues): Promise<LocalEngine> {
  const options = loadOptions(values);
  return LocalEngine.load(options.model, { provider: options.provider, variant: options.variant });
}
