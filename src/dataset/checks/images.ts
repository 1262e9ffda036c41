import { IMAGE_KEYS, readChat, turnText } from '../formats';
import type { FormatId, JsonObject, ParsedRecord } from '../record';
import type { LineTree } from './lineTree';
import type { Finding } from './result';
import { flatMapped } from '../flatMapped';

const IMAGE_TOKEN = /<image>/g;
/** Formats whose prompts place their images with `<image>` tokens (OpenAI and TRL use content parts). */
const TOKEN_FORMATS: ReadonlySet<FormatId> = new Set(['llava-cot', 'mulberry', 'think-answer', 'sharegpt', 'mmpr', 'mmpr-prompt']);
/**
 * Loaders that put a lone image before a question without a token: InternVL's for MMPR, Llama 3.2
 * Vision's processor for LLaVA-CoT. LLaMA-Factory (Mulberry, Reason-RFT, OpenVLThinker) wants one token per image.
 */
const IMPLICIT_SINGLE_IMAGE: ReadonlySet<FormatId> = new Set(['llava-cot', 'mmpr', 'mmpr-prompt']);
/** `http:`, `data:` and the like: not files to look for (a one-letter scheme is a Windows drive). */
const URL_SCHEME = /^[a-z][a-z0-9+.-]+:/i;

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * The `<image>` tokens of all user turns (MMPR: the question) must match the record's images; a record
 * with neither is text-only and passes.
 */
export function imageTokenFindings(record: JsonObject, parsed: ParsedRecord, tree: LineTree): Finding[] {
  if (!TOKEN_FORMATS.has(parsed.format)) return [];
  const chat = readChat(record);
  const prompts = chat ? chat.turns.filter((turn) => turn.role === 'user').map(turnText) : [parsed.question ?? ''];
  const tokens = prompts.reduce((sum, prompt) => sum + (prompt.match(IMAGE_TOKEN)?.length ?? 0), 0);
  // Images a turn places itself (R1-V's `image_path`, image parts) stand where the turn is, without a token.
  const placed = chat ? chat.turns.reduce((sum, turn) => sum + turn.imageUrls.length, 0) : 0;
  const images = parsed.images.length - placed;
  if (tokens === images || (tokens === 0 && images === 1 && IMPLICIT_SINGLE_IMAGE.has(parsed.format))) return [];
  const imageField = IMAGE_KEYS.filter((key) => key in record).join(', ') || 'the record';
  const field = (parsed.question !== null ? tree.pathOfString(parsed.question) : undefined) ?? chat?.path ?? ['question'];
  return [
    {
      check: 'image-token-count',
      severity: 'error',
      field,
      problem: `${count(tokens, '<image> token')} in the user turns for ${count(images, 'image')} in ${imageField}`,
    },
  ];
}

/** Each image file the record names that cannot be used: missing, outside the allowed folders, or not an image. */
export function imageMissingFindings(parsed: ParsedRecord, tree: LineTree, imageProblem: (path: string) => string | null): Finding[] {
  return flatMapped(parsed.images, (image): Finding[] => {
    const problem = URL_SCHEME.test(image) ? null : imageProblem(image);
    return problem === null ? [] : [{ check: 'image-missing', severity: 'warning', field: tree.pathOfString(image) ?? null, problem }];
  });
}
