import { z } from 'zod';

/** The parts of tokenizer.json that decide how much text one token can stand for. */
const tokenizerModelSchema = z.looseObject({
  added_tokens: z.array(z.looseObject({ content: z.string() })).default([]),
  model: z.looseObject({
    type: z.string().optional(),
    /** BPE, WordPiece and WordLevel map token → id; Unigram lists [token, score]. */
    vocab: z.union([z.record(z.string(), z.number()), z.array(z.tuple([z.string(), z.number()]))]).default({}),
    fuse_unk: z.boolean().default(false),
    byte_fallback: z.boolean().default(false),
  }),
});

/** A character outside the vocabulary becomes one unknown token of its own, and a character is at most 4 bytes. */
const UTF8_MAX_CHAR_BYTES = 4;

/**
 * The most UTF-8 bytes one token of this tokenizer stands for: its longest vocabulary entry (byte-level and
 * `▁` spellings only overstate it). Undefined when a run of unknown text of any length can become a single
 * token: WordPiece and WordLevel models, and unknowns fused without byte fallback (Unigram always fuses).
 */
export function maxTokenBytes(tokenizerJson: object): number | undefined {
  const parsed = tokenizerModelSchema.safeParse(tokenizerJson);
  if (!parsed.success) return undefined;
  const { model, added_tokens: added } = parsed.data;
  const bounded = model.type === undefined || model.type === 'BPE' || model.type === 'Unigram';
  const fuses = model.type === 'Unigram' || model.fuse_unk;
  if (!bounded || (fuses && !model.byte_fallback)) return undefined;
  const tokens = Array.isArray(model.vocab) ? model.vocab.map(([token]) => token) : Object.keys(model.vocab);
  let longest = UTF8_MAX_CHAR_BYTES;
  for (const token of [...tokens, ...added.map((entry) => entry.content)]) longest = Math.max(longest, Buffer.byteLength(token));
  return longest;
}
