import { z } from 'zod';
import type { ParsedRecord } from '../dataset/record';
import { imageTokensMatch, questionWithImageTokens } from './exchange';
import type { ExportImages } from './images';
import { isPreferenceRecord, linePerPreference } from './pairs';
import { isRefusal, type FormatExporter, type Refusal } from './types';

const humanTurnSchema = z.object({ from: z.literal('human'), value: z.string() }).strict();
const gptTurnSchema = z.object({ from: z.literal('gpt'), value: z.string() }).strict();
const imagesSchema = z.array(z.string());
/** LLaMA-Factory's `system` column, read with the sharegpt formatting. */
const systemSchema = z.string().optional();

const sftLineSchema = z.object({ conversations: z.tuple([humanTurnSchema, gptTurnSchema]), system: systemSchema, images: imagesSchema }).strict();
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
  const images = exportImages.paths(parsed.images);
  if (isRefusal(images)) return images;
  return {
    question,
    images,
    ...(parsed.system === undefined ? {} : { system: parsed.system }),
  };
}

/**
 * LLaMA-Factory sharegpt. A file is either SFT or preference (`ranking` in dataset_info.json), so the source
 * decides: records from a preference format (MMPR, TRL preference) give one ranking line per preference
 * (a segment-level pair's prefix goes before both versions), every other record one SFT line.
 */
export const llamaFactory: FormatExporter<LlamaFactoryLine> = {
  schema: llamaFactoryLineSchema,
  carriesSystem: true,
  lineKind: (parsed) => (isPreferenceRecord(parsed) ? 'ranking' : 'sft'),
  build({ parsed, annotations }, _options, images) {
    const prompt = sharegptPrompt(parsed, images);
    if (isRefusal(prompt)) return prompt;
    const human = { from: 'human' as const, value: prompt.question };
    if (!isPreferenceRecord(parsed)) {
      const conversations: [typeof human, { from: 'gpt'; value: string }] = [human, { from: 'gpt', value: parsed.responses[0].text }];
      return [{ conversations, ...(prompt.system === undefined ? {} : { system: prompt.system }), images: prompt.images }];
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
