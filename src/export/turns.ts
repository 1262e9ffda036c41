import { readChat, turnsOutsideExchange } from '../dataset/formats/chat';
import { isJsonObject } from '../dataset/record';
import type { ExportFormat, ExportInput, Refusal } from './types';

/** `1 (system)`, `4 (user)`: a turn as a person finds it in the record. */
function describeTurn(role: unknown, index: number): string {
  return `${index + 1} (${typeof role === 'string' ? role : 'no role'})`;
}

/**
 * Every target is written from one question and its response, so a chat record holding more (a system
 * prompt, further exchanges) is refused rather than written without them.
 */
export function turnsLostRefusal(format: ExportFormat, input: ExportInput): Refusal | null {
  const chat = readChat(input.record);
  if (!chat) return null;
  const outside = turnsOutsideExchange(chat.turns);
  if (outside.length === 0) return null;
  const [key] = chat.path;
  const list = input.record[key];
  const turns = outside.map((index) => {
    const turn = Array.isArray(list) ? list[index] : undefined;
    return describeTurn(isJsonObject(turn) ? (turn.from ?? turn.role) : undefined, index);
  });
  return { refusal: `${format} is written from one question and its response; ${key} turn(s) ${turns.join(', ')} would be lost` };
}
