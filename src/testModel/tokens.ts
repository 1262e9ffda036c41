// The vocabulary's fixed part and its id convention: byte tokens 0-255 (id = byte value), then the
// special tokens, then the stage tags, so these ids do not depend on the vocabulary size or the corpus.

const BYTE_TOKENS = 256;

/** Special tokens: matched before pre-tokenization and dropped by `skip_special_tokens`. */
export const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<image>'] as const;

/** Stage tags of chain-of-thought datasets: single tokens, but not special, so they decode as text. */
export const STAGE_TAGS = [
  '<SUMMARY>',
  '</SUMMARY>',
  '<CAPTION>',
  '</CAPTION>',
  '<REASONING>',
  '</REASONING>',
  '<CONCLUSION>',
  '</CONCLUSION>',
  '<think>',
  '</think>',
  '<answer>',
  '</answer>',
] as const;

export const FIXED_TOKENS: readonly string[] = [...SPECIAL_TOKENS, ...STAGE_TAGS];
export const MIN_VOCAB = BYTE_TOKENS + FIXED_TOKENS.length;

/**
 * Qwen2-VL's vision tokens, special, after the fixed ones in a vision-language model's vocabulary only (so that
 * text models keep their vocabulary): an image is `<|vision_start|>`, one `<|image_pad|>` per merged patch,
 * `<|vision_end|>`.
 */
export const VISION_TOKENS = ['<|vision_start|>', '<|vision_end|>', '<|image_pad|>', '<|video_pad|>'] as const;
export const visionTokenId = (token: (typeof VISION_TOKENS)[number]): number => MIN_VOCAB + VISION_TOKENS.indexOf(token);

/** Tiles per side of the SmolVLM test model's largest image: its tokenizer has a `<row_R_col_C>` token for each. */
export const IDEFICS3_MAX_TILES = 4;

/**
 * SmolVLM's (Idefics3's) image markup, special, after the fixed tokens (`<image>` is one of those): each tile's tokens
 * follow `<fake_token_around_image><row_R_col_C>`, the global view's `<fake_token_around_image><global-img>`; a turn
 * ends with `<end_of_utterance>`.
 */
export const IDEFICS3_TOKENS: readonly string[] = [
  '<fake_token_around_image>',
  '<global-img>',
  '<end_of_utterance>',
  ...Array.from({ length: IDEFICS3_MAX_TILES ** 2 }, (_, i) => `<row_${Math.floor(i / IDEFICS3_MAX_TILES) + 1}_col_${(i % IDEFICS3_MAX_TILES) + 1}>`),
];

/** The special tokens a kind of model adds after the fixed ones. */
export const familyTokens = (kind: 'random' | 'bigram' | 'qwen2-vl' | 'smolvlm'): readonly string[] =>
  kind === 'qwen2-vl' ? VISION_TOKENS : kind === 'smolvlm' ? IDEFICS3_TOKENS : [];

/** The id of a special token or stage tag. */
export const tokenId = (token: (typeof SPECIAL_TOKENS)[number] | (typeof STAGE_TAGS)[number]): number => BYTE_TOKENS + FIXED_TOKENS.indexOf(token);

export const ENDOFTEXT_ID = tokenId('<|endoftext|>');
export const IM_END_ID = tokenId('<|im_end|>');

export const reservedToken = (index: number): string => `<|reserved_${index}|>`;
