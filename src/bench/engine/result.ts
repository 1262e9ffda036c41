import { z } from 'zod';
import { executionProviderSchema } from '../../protocol';
import { benchRowFields, formatTable, megabytes, nodeLine } from '../report';

/** The engine measures, in the order each model's rows list them. */
export const engineMeasureIdSchema = z.enum([
  'decode',
  'batch-4',
  'batch-8',
  'computed-per-kept',
  'prefix-hit',
  'regenerate-4',
  'regenerate-4-per-kept',
  'regenerate-8',
  'regenerate-8-per-kept',
  'regenerate-rest',
  'regenerate-rest-per-kept',
  'grammar-kept',
  'grammar-speed',
  'grammar-per-candidate',
  'mcts-8',
  'mcts-8-per-kept',
  'mcts-16',
  'mcts-16-per-kept',
  'mc-per-generated',
  'mc-rollouts',
  'mc-binary',
  'transformers',
  'vision-encode',
  'memory-peak-rss',
]);
export type EngineMeasureId = z.infer<typeof engineMeasureIdSchema>;

export const engineRowSchema = z.object({ id: engineMeasureIdSchema, ...benchRowFields });
export type EngineRow = z.infer<typeof engineRowSchema>;

const count = z.number().int().positive();

export const engineModelResultSchema = z.object({
  name: z.string(),
  dir: z.string(),
  source: z.enum(['built', 'cached', 'user']),
  file: z.string(),
  /** The ONNX file and its external weights. */
  fileBytes: count,
  /** Known for the built models only. */
  parameters: count.optional(),
  layers: count,
  hidden: count.optional(),
  heads: count.optional(),
  kvHeads: count,
  headDim: count,
  vocab: count.optional(),
  kvType: z.enum(['float32', 'float16']),
  promptTokens: count,
  /** Tokens each candidate decodes. */
  generatedTokens: count,
  /** Whether the engine's greedy tokens equal the bare loop's. */
  matchesBareLoop: z.boolean(),
  /** Whether they equal transformers.js's; absent when transformers.js could not load the model. */
  matchesTransformers: z.boolean().optional(),
  rows: z.array(engineRowSchema),
  /** Measures that could not run on this model, and why. */
  skipped: z.array(z.object({ id: engineMeasureIdSchema, reason: z.string() })),
});
export type EngineModelResult = z.infer<typeof engineModelResultSchema>;

/** The engine part of what `cot-studio bench --json` prints and `--out` writes. */
export const engineBenchResultSchema = z.object({
  provider: executionProviderSchema,
  machine: z.object({ platform: z.string(), arch: z.string(), cores: count, cpu: z.string(), memoryBytes: count }),
  node: z.string(),
  gcExposed: z.boolean(),
  quick: z.boolean(),
  /** Timed rounds per measure, after one warm-up round. */
  repeats: count,
  models: z.array(engineModelResultSchema).min(1),
});
export type EngineBenchResult = z.infer<typeof engineBenchResultSchema>;

const millions = (value: number): string => `${(value / 1e6).toFixed(value < 1e7 ? 2 : 1)} M`;

function modelLine(model: EngineModelResult): string {
  const shape = [
    `${model.layers} layers`,
    model.hidden === undefined ? undefined : `hidden ${model.hidden}`,
    model.heads === undefined ? undefined : `${model.heads} heads`,
    `${model.kvHeads} KV heads of ${model.headDim}`,
    model.vocab === undefined ? undefined : `vocab ${model.vocab}`,
    model.parameters === undefined ? undefined : `${millions(model.parameters)} parameters`,
    `${megabytes(model.fileBytes)} ${model.kvType === 'float16' ? 'fp16' : 'fp32'}`,
  ].filter((part) => part !== undefined);
  const where = model.source === 'user' ? model.dir : `${model.source === 'cached' ? 'cached' : 'built'} in ${model.dir}`;
  return `${model.name}: ${shape.join(', ')} (${where}); prompt ${model.promptTokens} tokens, ${model.generatedTokens} generated`;
}

export function formatEngineBench(result: EngineBenchResult): string {
  const { machine } = result;
  const header = [
    `engine on ${result.provider}: ${machine.platform} ${machine.arch}, ${machine.cores} cores (${machine.cpu}), ${(machine.memoryBytes / 1e9).toFixed(1)} GB memory`,
    ...result.models.map(modelLine),
    ...result.models.flatMap((model) => model.skipped.map((skip) => `${model.name}: ${skip.id} skipped: ${skip.reason}`)),
    `median of ${result.repeats} rounds after a warm-up${result.quick ? ' (--quick)' : ''}; ${nodeLine(result.node, result.gcExposed)}`,
  ];
  return formatTable(
    header,
    result.models.flatMap((model) => model.rows),
  );
}
