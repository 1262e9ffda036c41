import { type Side, segmentKey } from './annotations';
import type { ParsedRecord, Response, Segment } from './record';
import { RecordError } from './recordEdit';
import { flatMapped } from './flatMapped';

export { type Side, sideSchema } from './annotations';

/**
 * Which reply a segment is in, as commands name it: a side of a pair and a turn (0-based among the record's
 * assistant turns; left out, the last one, the reply a conversation ends on).
 */
export interface ReplyTarget {
  side?: Side;
  turn?: number;
  /** A tree search's output: the path of this model (the record's first path is its response). */
  model?: string;
}

/** A reply an annotator works on: an assistant turn of the record, or the rejected side of a pair. */
export interface Reply {
  response: Response;
  side: Side;
  /** 0-based among the record's assistant turns. */
  turn: number;
  /** The turns that come before it: every question and reply of the conversation up to this reply. */
  before: NonNullable<ParsedRecord['conversation']>;
  /** Set for a tree search's path other than the record's first: the model whose path it is. */
  model?: string;
}

/** Every assistant turn's reply in order: a conversation's, or the record's first response. */
export function assistantReplies(parsed: ParsedRecord): Response[] {
  if (parsed.conversation) return flatMapped(parsed.conversation, (turn) => (turn.response ? [turn.response] : []));
  return parsed.responses.slice(0, 1);
}

function turnsBefore(parsed: ParsedRecord, turn: number): Reply['before'] {
  const conversation = parsed.conversation ?? [];
  let replies = 0;
  const end = conversation.findIndex((entry) => entry.role === 'assistant' && replies++ === turn);
  return end < 0 ? [] : conversation.slice(0, end);
}

/** The reply a command addresses; a turn or side the record does not have is an error that says what it has. */
export function resolveReply(parsed: ParsedRecord, target: ReplyTarget = {}): Reply {
  if (target.model !== undefined) return modelPath(parsed, target.model);
  const side = target.side ?? 'primary';
  const replies = assistantReplies(parsed);
  if (replies.length === 0) throw new RecordError(`a ${parsed.format} record has no response to annotate`);
  const last = replies.length - 1;
  const turn = target.turn ?? last;
  if (turn > last) {
    const has = replies.length === 1 ? 'one assistant turn (turn 0)' : `${replies.length} assistant turns (turn 0 to ${last})`;
    throw new RecordError(`there is no turn ${turn}: the record has ${has}`);
  }
  const before = turnsBefore(parsed, turn);
  if (side === 'primary') return { response: replies[turn], side, turn, before };
  const rejected = parsed.responses[1];
  if (!rejected) throw new RecordError(`a ${parsed.format} record has no rejected side`);
  if (turn !== last) throw new RecordError(`the rejected side answers the last turn (${last}), not turn ${turn}`);
  return { response: rejected, side, turn, before };
}

/** The paths of a tree search's output after the first, each its model's (the first is the record's response). */
function otherPaths(parsed: ParsedRecord): Response[] {
  return parsed.responses.slice(1).filter((response) => response.role === 'response' && response.model !== undefined);
}

function modelPath(parsed: ParsedRecord, model: string): Reply {
  if (parsed.responses[0]?.model === model) return resolveReply(parsed, { turn: 0 });
  const response = otherPaths(parsed).find((path) => path.model === model);
  if (!response) {
    const models = flatMapped(parsed.responses, (path) => (path.model === undefined ? [] : [path.model]));
    throw new RecordError(`the record has no path of ${model}${models.length > 0 ? `; it has ${models.join(', ')}` : ''}`);
  }
  return { response, side: 'primary', turn: 0, before: [], model };
}

/** The annotation key of segment `index` of a reply: a later path of a tree search's by its model (`path:MODEL:2`). */
export function replyKey(reply: Pick<Reply, 'side' | 'turn' | 'model'>, index: number): string {
  return reply.model === undefined ? segmentKey(index, reply.side, reply.turn) : `path:${reply.model}:${index}`;
}

/** Every reply that carries annotations: each assistant turn, the rejected side of a pair, each model's path of a search. */
export function annotatedReplies(parsed: ParsedRecord): Reply[] {
  const replies = assistantReplies(parsed).map((_, turn) => resolveReply(parsed, { turn }));
  const paths = otherPaths(parsed).map((path) => modelPath(parsed, path.model as string));
  return parsed.responses[1]?.role === 'rejected' ? [...replies, resolveReply(parsed, { side: 'rejected' })] : [...replies, ...paths];
}

/**
 * Which reply a pair, reflection or history entry is about, as a record stores it: `turn` for a later reply of a
 * conversation, `model` for a tree search's path other than the first; neither for the first reply, which every
 * record written before turns had.
 */
export function storedReply(reply: Pick<Reply, 'turn' | 'model'>): { turn?: number; model?: string } {
  if (reply.model !== undefined) return { model: reply.model };
  return reply.turn === 0 ? {} : { turn: reply.turn };
}

/** The reply, segment index and segment an annotation key addresses (see replyKey), or undefined when the record has no such segment. */
export function segmentOfKey(parsed: ParsedRecord, key: string): { reply: Reply; index: number; segment: Segment } | undefined {
  for (const reply of annotatedReplies(parsed)) {
    const index = reply.response.segments.findIndex((_, at) => replyKey(reply, at) === key);
    const segment = reply.response.segments[index];
    if (segment) return { reply, index, segment };
  }
  return undefined;
}
