import { z } from 'zod';
import type { ParsedRecord } from '../dataset/record';
import { imageTokensMatch, laterTurns, type PlacedTurn, promptTurns, questionImages, questionWithImageTokens, turnsWithImages } from './exchange';
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
/** The turns the preferred reply answers: questions and replies taking turns, a question last (LLaMA-Factory checks both). */
const rankingConversationSchema = z
  .array(z.union([humanTurnSchema, gptTurnSchema]))
  .refine(
    (turns) => turns.length % 2 === 1 && turns.every((turn, index) => turn.from === (index % 2 === 0 ? 'human' : 'gpt')),
    'questions and replies taking turns, a question last',
  );
const rankingLineSchema = z
  .object({ conversations: rankingConversationSchema, chosen: gptTurnSchema, rejected: gptTurnSchema, system: systemSchema, images: imagesSchema })
  .strict();
const llamaFactoryLineSchema = z
  .union([sftLineSchema, rankingLineSchema])
  .refine(
    (line) =>
      imageTokensMatch([...line.conversations.map((turn) => turn.value), ...('chosen' in line ? [line.chosen.value, line.rejected.value] : [])], line.images),
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

/** Turns as sharegpt-style formats write them, and the images their placeholders stand for, in order. */
function sharegptTurns(turns: PlacedTurn[] | Refusal, exportImages: ExportImages): { turns: SharegptTurn[]; images: string[] } | Refusal {
  return turnsWithImages(turns, exportImages, (turn) => ({ role: turn.role, text: turn.text }));
}

/** The turns after the first reply, and the images their placeholders stand for, in order. */
export function sharegptLaterTurns(parsed: ParsedRecord, exportImages: ExportImages): { turns: SharegptTurn[]; images: string[] } | Refusal {
  return sharegptTurns(laterTurns(parsed, 'kept'), exportImages);
}

/** The turns reply `turn` answers (`promptTurns`, its question last) and their images. */
function sharegptContext(parsed: ParsedRecord, exportImages: ExportImages, turn: number): { turns: SharegptTurn[]; images: string[] } | Refusal {
  return sharegptTurns(promptTurns(parsed, turn, 'kept'), exportImages);
}

const sharegptRole = (role: SharegptTurn['role']): 'human' | 'gpt' => (role === 'user' ? 'human' : 'gpt');

/**
 * LLaMA-Factory sharegpt. A file is either SFT or preference (`ranking` in dataset_info.json), so the source
 * decides: records from a preference format (MMPR, TRL preference) give one ranking line per preference, its
 * `conversations` the turns the preferred reply answers (a segment-level pair's prefix goes before both
 * versions); every other record one SFT line holding the whole conversation. `<image>` placeholders stand where
 * each turn has them and `images` lists them in order.
 */
export const llamaFactory: FormatExporter<LlamaFactoryLine> = {
  schema: llamaFactoryLineSchema,
  carriesSystem: true,
  lineKind: (parsed) => (isPreferenceRecord(parsed) ? 'ranking' : 'sft'),
  build({ parsed, annotations }, _options, images) {
    const system = parsed.system === undefined ? {} : { system: parsed.system };
    if (!isPreferenceRecord(parsed)) {
      const prompt = sharegptPrompt(parsed, images);
      if (isRefusal(prompt)) return prompt;
      const later = sharegptLaterTurns(parsed, images);
      if (isRefusal(later)) return later;
      const conversations: z.infer<typeof sftLineSchema>['conversations'] = [
        { from: 'human', value: prompt.question },
        { from: 'gpt', value: parsed.responses[0].text },
        ...later.turns.map(({ role, text }) => ({ from: sharegptRole(role), value: text })),
      ];
      return [{ conversations, ...system, images: [...prompt.images, ...later.images] }];
    }
    const context = (turn: number) => sharegptContext(parsed, images, turn);
    return linePerPreference(context, parsed, annotations, ({ turns, images: placed }, { prefix, chosen, rejected }) => ({
      conversations: turns.map(({ role, text }) => ({ from: sharegptRole(role), value: text })),
      ...system,
      chosen: { from: 'gpt', value: prefix + chosen },
      rejected: { from: 'gpt', value: prefix + rejected },
      images: placed,
    }));
  },
};
