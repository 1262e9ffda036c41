import type { Sample, SampleResponse } from '../../src/protocol';

/**
 * A segment of one of the record's replies: its index in the reply of assistant turn `turn`, or for a tree
 * search's output in the path of `model` (a path after the first).
 */
export interface Focus {
  turn: number;
  segment: number;
  model?: string;
}

export const FIRST_SEGMENT: Focus = { turn: 0, segment: 0 };

export const sameFocus = (a: Focus | undefined, b: Focus | undefined): boolean => a?.turn === b?.turn && a?.segment === b?.segment && a?.model === b?.model;

/** A tree search's paths after the first, which annotations address by model. */
export function otherPaths(sample: Sample): SampleResponse[] {
  return sample.responses.slice(1).filter((response) => response.role === 'response' && response.model !== null);
}

/** The record's reply a focus is in: a model's path, or the reply at an assistant turn (the first response for turn 0). */
export function replyAt(sample: Sample, focus: Pick<Focus, 'turn' | 'model'>): SampleResponse | undefined {
  if (focus.model !== undefined) return otherPaths(sample).find((path) => path.model === focus.model);
  return focus.turn === 0 ? sample.responses[0] : sample.laterReplies[focus.turn - 1];
}

/** Every segment that takes the focus, in reading order: each reply's, turn by turn, then each other path's. */
export function focusable(sample: Sample): Focus[] {
  const replies = [sample.responses[0], ...sample.laterReplies];
  const turns = replies.flatMap((reply, turn) => (reply ? reply.segments.map((_, segment): Focus => ({ turn, segment })) : []));
  const paths = otherPaths(sample).flatMap((path) => path.segments.map((_, segment): Focus => ({ turn: 0, segment, model: path.model ?? undefined })));
  return [...turns, ...paths];
}

/** The focus `step` segments on in reading order, held at the first and the last. */
export function movedFocus(sample: Sample, focus: Focus, step: number): Focus {
  const all = focusable(sample);
  const at = all.findIndex((candidate) => sameFocus(candidate, focus));
  return all[Math.max(0, Math.min(all.length - 1, at + step))] ?? focus;
}

/** After the record changed (an edit can take segments away): the focus, or the nearest segment before it that is left. */
export function keptFocus(sample: Sample, focus: Focus): Focus {
  const all = focusable(sample);
  if (all.some((candidate) => sameFocus(candidate, focus))) return focus;
  const before = all.filter((candidate) => candidate.turn < focus.turn || (candidate.turn === focus.turn && candidate.segment < focus.segment));
  return before.at(-1) ?? all[0] ?? FIRST_SEGMENT;
}
