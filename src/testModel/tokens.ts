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

/** The id of a special token or stage tag. */
export const tokenId = (token: (typeof SPECIAL_TOKENS)[number] | (typeof STAGE_TAGS)[number]): number => BYTE_TOKENS + FIXED_TOKENS.indexOf(token);

export const ENDOFTEXT_ID = tokenId('<|endoftext|>');
export const IM_END_ID = tokenId('<|im_end|>');

export const reservedToken = (index: number): string => `<|reserved_${index}|>`;
