import { z } from 'zod';
import { FIXED_TOKENS, MIN_VOCAB } from './tokens';

/** Shapes used when an option is not given: small for random models (mechanics tests), wider for bigram ones. */
const DEFAULTS = {
  random: { layers: 2, hidden: 64, heads: 4, kvHeads: 2, vocab: 512, maxPositions: 2048 },
  bigram: { layers: 2, hidden: 256, heads: 4, kvHeads: 2, vocab: 1024, maxPositions: 2048 },
} as const;

const size = (max: number) => z.number().int().positive().max(max);

export const testModelOptionsSchema = z
  .strictObject({
    /** `random`: N(0, 0.02²) weights, for mechanics. `bigram`: logits are the corpus's bigram log-probabilities. */
    kind: z.enum(['random', 'bigram']),
    /** Text or JSONL files; the tokenizer trains on them and a bigram model counts them. */
    corpus: z.array(z.string().min(1)).default([]),
    layers: size(64).optional(),
    hidden: size(16384).optional(),
    heads: size(256).optional(),
    kvHeads: size(256).optional(),
    vocab: z.number().int().max(65536).optional(),
    maxPositions: size(1 << 20).optional(),
    seed: z.number().int().min(0).max(0xffffffff).default(0),
    dtype: z.enum(['fp32', 'fp16']).default('fp32'),
    /** Weights in `onnx/model*.onnx_data`; chosen anyway when the model would pass the 2 GiB protobuf limit. */
    externalData: z.boolean().default(false),
    /** Standard deviation of the random weights; larger values make a random model's outputs less uniform. */
    initStd: z.number().positive().max(10).default(0.02),
    /** Add-k smoothing of bigram counts: small k keeps unseen continuations unlikely. */
    smoothing: z.number().positive().default(0.001),
  })
  .transform(({ kind, layers, hidden, heads, kvHeads, vocab, maxPositions, ...rest }) => {
    const defaults = DEFAULTS[kind];
    return {
      kind,
      ...rest,
      layers: layers ?? defaults.layers,
      hidden: hidden ?? defaults.hidden,
      heads: heads ?? defaults.heads,
      kvHeads: kvHeads ?? defaults.kvHeads,
      vocab: vocab ?? defaults.vocab,
      maxPositions: maxPositions ?? defaults.maxPositions,
    };
  })
  .superRefine((options, context) => {
    const problem = (path: string, message: string) => context.addIssue({ code: 'custom', path: [path], message });
    if (options.hidden % options.heads !== 0) problem('hidden', `hidden (${options.hidden}) must be a multiple of heads (${options.heads})`);
    if (options.heads % options.kvHeads !== 0) problem('kvHeads', `heads (${options.heads}) must be a multiple of kv-heads (${options.kvHeads})`);
    if (options.vocab < MIN_VOCAB) {
      problem('vocab', `vocab must be at least ${MIN_VOCAB} (256 byte tokens + ${FIXED_TOKENS.length} special tokens and stage tags), got ${options.vocab}`);
    }
    if (options.kind === 'bigram' && options.corpus.length === 0) problem('corpus', 'a bigram model needs at least one corpus file');
  });

export type TestModelOptionsInput = z.input<typeof testModelOptionsSchema>;
export type TestModelOptions = z.output<typeof testModelOptionsSchema>;
