import { turnsOutsideExchange } from '../dataset/formats/chat';
import type { ExportFormat, ExportInput, Refusal } from './types';

/**
 * A chat record holding turns no format can write (system or tool turns after the question, turns between the
 * question and its reply) is refused rather than written without them. The later exchanges of a record read
 * with its conversation are not lost: the chat formats write every turn, and the preference and step formats
 * write each reply they are about after the conversation up to it, or refuse the reply where the format holds
 * one question (exchange.ts `promptTurns`); the turns after a reply are not part of that reply's row.
 */
export function turnsLostRefusal(format: ExportFormat, input: ExportInput): Refusal | null {
  const outside = turnsOutsideExchange(input.record, input.parsed);
  if (!outside?.lost) return null;
  return { refusal: `${format} is written from one question and its response; ${outside.key} turn(s) ${outside.lost.described.join(', ')} would be lost` };
}
