import { z } from 'zod';
import type { ParsedRecord } from '../dataset/record';
import { imageTokensMatch, laterTurns, questionImages, questionWithImageTokens } from './exchange';
import type { ExportImages } from './images';
import { isPreferenceRecord, linePerPreference } from './pairs';
import { isRefusal, type FormatExporter, type Refusal } from './types';

const humanTurnSchema = z.object({ from: z.literal('human'), value: z.string() }).strict();
const gptTurnSchema = z.object({ from: z.literal('gpt'), value: z.string() }).strict();
const imagesSchema = z.array(z.string());
/** LLaMA-Factory's `system` column, read with the sharegpt formatting. */
const systemSchema = z.string().optional();

/** The conversation's later questions and replies follow the first exchange, taking turns (`laterTurns`). */
const sftLineSchema = z
  .object({ conversations: z.tuple([humanTurnSchema, gptTurnSchema], z.union([humanTurnSchema, gptTurnSchema])), system: systemSchema, images: imagesSchema })
  .strict();
const rankingLineSchema = z
  .object({ conversations: z.tuple([humanTurnSchema]), chosen: gptTurnSchema, rejected: gptTurnSchema, system: systemSchema, images: imagesSchema })
  .strict();
const llamaFactoryLineSchema = z
  .union([sftLineSchema, rankingLineSchema])
  .refine(
    (line) => imageTokensMatch([...line.conversations.map((turn) => turn.value), ...('chosen' in line ? [line.chosen.value, line.rejected.value] : [])], line.images),
    'the number of <image> placeholders must equal the number of images',
  );
type LlamaFactoryLine = z.infer<typeof llamaFactoryLineSchema>;

/** A sharegpt prompt as LLaMA-Factory reads it: images as a list, one `<image>` placeholder per image. */
export interface SharegptPrompt {
  question: string;
  images: string[];
  /** The record's system prompt, LLaMA-Factory's `system` column. */
  system?: string;
}

export function sharegptPrompt(parsed: ParsedRecord, exportImages: ExportImages): SharegptPrompt | Refusal {
  const question = questionWithImageTokens(parsed);
  if (isRefusal(question)) return question;
  const images = exportImages.paths(questionImages(parsed));
  if (isRefusal(images)) return images;
  return {
    question,
    images,
    ...(parsed.system === undefined ? {} : { system: parsed.system }),
  };
}

/** A turn after the first reply, as sharegpt-style formats write it. */
export interface SharegptTurn {
  role: 'user' | 'assistant';
  /** A question's text holds one `<image>` placeholder per image it places. */
  text: string;
}

/** The turns after the first reply, and the images their placeholders stand for, in order. */
export function sharegptLaterTurns(parsed: ParsedRecord, exportImages: ExportImages): { turns: SharegptTurn[]; images: string[] } | Refusal {
  const later = laterTurns(parsed, 'kept');
  if (isRefusal(later)) return later;
  const turns: SharegptTurn[] = [];
  const images: string[] = [];
  for (const turn of later) {
    const written = exportImages.paths(turn.images);
    if (isRefusal(written)) return written;
    turns.push({ role: turn.role, text: turn.text });
    images.push(...written);
  }
  return { turns, images };
}

/**
 * LLaMA-Factory sharegpt. A file is either SFT or preference (`ranking` in dataset_info.json), so the source
 * decides: records from a preference format (MMPR, TRL preference) give one ranking line per preference
 * (a segment-level pair's prefix goes before both versions), every other record one SFT line holding the whole
 * conversation, `<image>` placeholders where each turn has them and `images` in their order.
 */
export const llamaFactory: FormatExporter<LlamaFactoryLine> = {
  schema: llamaFactoryLineSchema,
  carriesSystem: true,
  writesConversation: true,
  lineKind: (parsed) => (isPreferenceRecord(parsed) ? 'ranking' : 'sft'),
  build({ parsed, annotations }, _options, images) {
    const prompt = sharegptPrompt(parsed, images);
    if (isRefusal(prompt)) return prompt;
    const human = { from: 'human' as const, value: prompt.question };
    if (!isPreferenceRecord(parsed)) {
      const later = sharegptLaterTurns(parsed, images);
      if (isRefusal(later)) return later;
      const conversations: LlamaFactoryLine['conversations'] = [
        human,
        { from: 'gpt', value: parsed.responses[0].text },
        ...later.turns.map(({ role, text }) => ({ from: role === 'user' ? ('human' as const) : ('gpt' as const), value: text })),
      ];
      return [{ conversations, ...(prompt.system === undefined ? {} : { system: prompt.system }), images: [...prompt.images, ...later.images] }];
    }
    return linePerPreference(prompt, parsed, annotations, ({ images, system }, { prefix, chosen, rejected }) => ({
      conversations: [human],
      ...(system === undefined ? {} : { system }),
      chosen: { from: 'gpt', value: prefix + chosen },
      rejected: { from: 'gpt', value: prefix + rejected },
      images,
    }));
  },
};
