import { turnsOutsideExchange } from '../dataset/formats/chat';
import type { ExportFormat, ExportInput, FormatExporter, Refusal } from './types';

/**
 * A chat record holding turns a format cannot write is refused rather than written without them. The chat
 * formats write the later exchanges of a record read with its conversation. The preference and step formats
 * are about the record's first reply (its pairs, its rated steps): a later exchange comes after that reply, so
 * it cannot be the prompt before it, and such a record is refused. Their own multi-turn records (a
 * conversation before the chosen and rejected replies) are read as one question and refused likewise.
 */
export function turnsLostRefusal(format: ExportFormat, exporter: FormatExporter<object>, input: ExportInput): Refusal | null {
  const outside = turnsOutsideExchange(input.record, input.parsed);
  if (!outside) return null;
  if (outside.lost) {
    return { refusal: `${format} is written from one question and its response; ${outside.key} turn(s) ${outside.lost.described.join(', ')} would be lost` };
  }
  if (outside.later && exporter.writesConversation !== true) {
    return {
      refusal: `${format} is written from the record's first reply, and ${outside.key} turn(s) ${outside.later.described.join(', ')} come after it: they cannot be its prompt and would be lost`,
    };
  }
  return null;
}
