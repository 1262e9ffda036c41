import { turnsOutsideExchange } from '../dataset/formats/chat';
import type { ExportFormat, ExportInput, Refusal } from './types';

/**
 * Every target is written from one question and its response, so a chat record holding more (a system
 * prompt, further exchanges) is refused rather than written without them.
 */
export function turnsLostRefusal(format: ExportFormat, input: ExportInput): Refusal | null {
  const outside = turnsOutsideExchange(input.record, input.parsed.format);
  if (!outside) return null;
  return { refusal: `${format} is written from one question and its response; ${outside.key} turn(s) ${outside.described.join(', ')} would be lost` };
}
