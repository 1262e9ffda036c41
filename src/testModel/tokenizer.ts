import { learnMerges } from './bpeTrainer';
import { BYTE_CHARS, byteLevel, preTokenize } from './byteLevel';
import { CHAT_TEMPLATE } from './chatTemplate';
import { FIXED_TOKENS, MIN_VOCAB, reservedToken, SPECIAL_TOKENS } from './tokens';

interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

interface ByteLevelJson {
  type: 'ByteLevel';
  add_prefix_space: boolean;
  trim_offsets: boolean;
  use_regex: boolean;
}

/** tokenizer.json in the layout of the `tokenizers` library (a GPT-2 style byte-level BPE). */
export interface TokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJson[];
  normalizer: null;
  pre_tokenizer: ByteLevelJson;
  post_processor: null;
  decoder: ByteLevelJson;
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: [string, string][];
  };
}

export interface TrainedTokenizer {
  json: TokenizerJson;
  /** Learned merge tokens; the rest of the vocabulary beyond the fixed tokens is reserved filler. */
  learned: number;
  reserved: number;
}

/** Pairs seen once are memorised words rather than structure, so they are not merged. */
const MIN_PAIR_FREQUENCY = 2;

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const addedTokenPattern = new RegExp(
  [...FIXED_TOKENS]
    .sort((a, b) => b.length - a.length)
    .map(escapeRegex)
    .join('|'),
  'g',
);

/** Counts of pre-tokenized byte-level words, with special tokens and tags cut out as encoding does. */
function countWords(documents: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const document of documents) {
    for (const section of document.split(addedTokenPattern)) {
      for (const word of preTokenize(section)) {
        const key = byteLevel(word);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
  }
  return counts;
}

const byteLevelJson = (trimOffsets: boolean): ByteLevelJson => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: trimOffsets, use_regex: true });

/**
 * Trains a byte-level BPE tokenizer of exactly `vocabSize` entries: 256 byte tokens, the special tokens and
 * stage tags, merges learned from the documents, and `<|reserved_N|>` special tokens for whatever the
 * corpus did not fill.
 */
export function trainTokenizer(documents: Iterable<string>, vocabSize: number, extraSpecial: readonly string[] = []): TrainedTokenizer {
  const fixed = [...FIXED_TOKENS, ...extraSpecial];
  const least = MIN_VOCAB + extraSpecial.length;
  if (vocabSize < least) throw new Error(`vocab must be at least ${least} (256 byte tokens + ${fixed.length} special and tag tokens)`);
  const { merges, tokens } = learnMerges(countWords(documents), {
    newTokens: vocabSize - least,
    minFrequency: MIN_PAIR_FREQUENCY,
    avoid: new Set(fixed),
  });
  const vocabulary = [...BYTE_CHARS, ...fixed, ...tokens];
  const taken = new Set(vocabulary);
  const reserved: string[] = [];
  for (let index = 0; vocabulary.length < vocabSize; index++) {
    const token = reservedToken(index);
    if (taken.has(token)) continue;
    vocabulary.push(token);
    reserved.push(token);
  }
  const ids = new Map(vocabulary.map((token, id) => [token, id]));
  const special = new Set<string>([...SPECIAL_TOKENS, ...extraSpecial, ...reserved]);
  const added = [...fixed, ...reserved].map(
    (content): AddedTokenJson => ({
      id: ids.get(content) as number,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: special.has(content),
    }),
  );
  return {
    json: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: added,
      normalizer: null,
      pre_tokenizer: byteLevelJson(true),
      post_processor: null,
      decoder: byteLevelJson(true),
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab: Object.fromEntries(ids),
        merges,
      },
    },
    learned: tokens.length,
    reserved: reserved.length,
  };
}

const addedTokenDecoder = (json: TokenizerJson) => Object.fromEntries(json.added_tokens.map(({ id, ...token }) => [String(id), token]));

/** How a model's chats are written: its template and the special tokens beyond the end-of-text. */
export interface ChatFormat {
  template: string;
  specialTokens: readonly string[];
}

export const TEXT_CHAT: ChatFormat = { template: CHAT_TEMPLATE, specialTokens: ['<|im_start|>', '<|im_end|>', '<image>'] };

/** tokenizer_config.json: ChatML template, `<|im_end|>` ends a turn, left padding for batched generation. */
export function tokenizerConfig(json: TokenizerJson, maxPositions: number, chat: ChatFormat = TEXT_CHAT) {
  return {
    tokenizer_class: 'Qwen2Tokenizer',
    added_tokens_decoder: addedTokenDecoder(json),
    additional_special_tokens: chat.specialTokens,
    bos_token: null,
    eos_token: '<|im_end|>',
    pad_token: '<|endoftext|>',
    unk_token: null,
    add_bos_token: false,
    add_eos_token: false,
    add_prefix_space: false,
    clean_up_tokenization_spaces: false,
    split_special_tokens: false,
    model_max_length: maxPositions,
    padding_side: 'left',
    chat_template: chat.template,
  };
}
