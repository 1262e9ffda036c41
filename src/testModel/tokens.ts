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

/** The id of a special token or stage tag. */
export const tokenId = (token: (typeof SPECIAL_TOKENS)[number] | (typeof STAGE_TAGS)[number]): number => BYTE_TOKENS + FIXED_TOKENS.indexOf(token);

export const ENDOFTEXT_ID = tokenId('<|endoftext|>');
export const IM_END_ID = tokenId('<|im_end|>');

export const reservedToken = (index: number): string => `<|reserved_${index}|>`;
