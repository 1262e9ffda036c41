import type { ImageResolver } from '../dataset/images';
import { type RecordState, readRecordState } from '../dataset/operations';
import type { FormatId, ParsedRecord } from '../dataset/record';
import { resolveReply, type Side } from '../dataset/replies';
import { withModelImages } from '../search/segmentPrompt';

/** Which reply of each record a command works on, and how its records are read. */
export interface ReplyChoice {
  side: Side;
  /** The reply of a conversation (0-based among its assistant turns); undefined: each record's last. */
  turn: number | undefined;
  /** A format the user forced, or undefined to detect it per record. */
  format: FormatId | undefined;
  images: ImageResolver;
}

/** A line's record as a model is shown it, and the reply a command addresses in it. */
export interface ModelReply {
  state: RecordState;
  record: ParsedRecord;
  side: Side;
  turn: number;
}

/** The record on a line and its reply the choice names; throws when the record cannot be read or has no such reply. */
export function modelReply(lineText: string, choice: ReplyChoice): ModelReply {
  const state = readRecordState(lineText, choice.format);
  // Records name images relative to the dataset's folder, not to where the command runs.
  const record = withModelImages(state.parsed, (images) => choice.images.forModel(images));
  const { side, turn } = resolveReply(record, { side: choice.side, ...(choice.turn === undefined ? {} : { turn: choice.turn }) });
  return { state, record, side, turn };
}
