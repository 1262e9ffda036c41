import { z } from 'zod';
import { FIXED_TOKENS, familyTokens, MIN_VOCAB } from './tokens';

/** Shapes used when an option is not given: small for random models (mechanics tests), wider for bigram ones. */
const DEFAULTS = {
  random: { layers: 2, hidden: 64, heads: 4, kvHeads: 2, vocab: 512, maxPositions: 2048 },
  bigram: { layers: 2, hidden: 256, heads: 4, kvHeads: 2, vocab: 1024, maxPositions: 2048 },
  'qwen2-vl': { layers: 2, hidden: 64, heads: 4, kvHeads: 2, vocab: 512, maxPositions: 2048 },
  smolvlm: { layers: 2, hidden: 64, heads: 4, kvHeads: 2, vocab: 512, maxPositions: 2048 },
} as const;

const size = (max: number) => z.number().int().positive().max(max);

export const testModelOptionsSchema = z
  .strictObject({
    /**
     * `random`: N(0, 0.02²) weights, for mechanics. `bigram`: logits are the corpus's bigram log-probabilities.
     * `qwen2-vl` and `smolvlm`: vision-language models in the layouts of the public Qwen2-VL and SmolVLM (Idefics3)
     * ONNX exports.
     */
    kind: z.enum(['random', 'bigram', 'qwen2-vl', 'smolvlm']),
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
    /**
     * The text side of a vision-language model: `random`, or `bigram` (its logits the corpus's bigram
     * log-probabilities, as the bigram kind's), so that its regenerations look like the data while the image still
     * reaches them.
     */
    text: z.enum(['random', 'bigram']).default('random'),
    /** The vision tower's width (vision-language models). */
    visionHidden: size(4096).default(32),
    /** The largest image, in pixels, the processor keeps (`qwen2-vl`; the public exports allow 12845056): small keeps tests fast. */
    maxPixels: z.number().int().min(3136).default(50176),
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
    const extra = familyTokens(options.kind).length;
    if (options.vocab < MIN_VOCAB + extra) {
      const vision = extra > 0 ? ` and ${extra} vision tokens` : '';
      problem(
        'vocab',
        `vocab must be at least ${MIN_VOCAB + extra} (256 byte tokens + ${FIXED_TOKENS.length} special tokens and stage tags${vision}), got ${options.vocab}`,
      );
    }
    if ((options.kind === 'bigram' || options.text === 'bigram') && options.corpus.length === 0)
      problem('corpus', 'a bigram model needs at least one corpus file');
    if (options.text === 'bigram' && !isVisionKind(options.kind))
      problem('text', '--text is for vision-language kinds; the bigram kind is a bigram text model');
  });

/** Kinds that write a vision-language export: a vision encoder, token embeddings and a decoder on embeddings. */
export const isVisionKind = (kind: TestModelOptions['kind']): kind is 'qwen2-vl' | 'smolvlm' => kind === 'qwen2-vl' || kind === 'smolvlm';

export type TestModelOptionsInput = z.input<typeof testModelOptionsSchema>;
export type TestModelOptions = z.output<typeof testModelOptionsSchema>;
