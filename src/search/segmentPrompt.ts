import { STAGES } from '../dataset/formats';
import type { ParsedRecord, Response, Segment } from '../dataset/record';
import { type ReplyTarget, resolveReply } from '../dataset/replies';
import type { Candidate, ChatMessage, GenerationRequest } from '../protocol';

const TAG_NAMES = [...STAGES, 'think', 'answer'];
/** The stage and answer tags a candidate for another segment must not contain. */
const SEGMENT_TAGS = new RegExp(`<\\/?(${TAG_NAMES.join('|')})>`);
/** Every piece of markup that starts or ends a segment: a candidate holds none but its own end. */
export const MARKUP = [...TAG_NAMES.flatMap((name) => [`<${name}>`, `</${name}>`]), '\n###'];

export type { ReplyTarget, Side } from '../dataset/replies';

/** Where a segment ends, and what a candidate for it must look like. */
export interface SegmentBoundary {
  /** Stop strings that end the segment: its closing tag, the next `###` header, `<answer>` after a summary. */
  stop: string[];
  /** Whether the candidate must end on a stop string (a tag); otherwise EOS also ends it cleanly. */
  needsStop: boolean;
  /** What the annotator is told when a candidate is dropped for lacking its end. */
  end: string;
  /** Markup the candidate may not hold: every other segment's tags and headers. A whole response holds its own. */
  forbid: string[];
}

export function segmentBoundary(segment: Segment): SegmentBoundary {
  const ends = segmentEnd(segment);
  return { ...ends, forbid: segment.kind === 'response' ? [] : MARKUP.filter((markup) => !ends.stop.includes(markup)) };
}

function segmentEnd(segment: Segment): Omit<SegmentBoundary, 'forbid'> {
  switch (segment.kind) {
    case 'stage':
      return { stop: [`</${segment.label}>`], needsStop: true, end: `</${segment.label}>` };
    case 'think':
      return { stop: ['</think>'], needsStop: true, end: '</think>' };
    case 'summary':
      // Its spaces are the layout's, as between `###` sections, so the candidate's trailing ones are dropped.
      return { stop: ['<answer>'], needsStop: false, end: '<answer>' };
    case 'answer':
      return { stop: ['</answer>'], needsStop: true, end: '</answer>' };
    case 'section':
    case 'step':
      return { stop: ['\n###'], needsStop: false, end: 'the next ### header' };
    case 'response':
      return { stop: [], needsStop: false, end: 'the end of the response' };
  }
}

/** The response a regeneration works on: an assistant turn of the record, or the rejected side of a pair. */
export function responseOf(record: ParsedRecord, target: ReplyTarget): Response {
  return resolveReply(record, target).response;
}

/**
 * The request that regenerates one segment: the conversation up to the reply (the system prompt, every earlier
 * question with its images and every earlier reply as the record has it) and the reply up to the segment's first
 * character as an assistant prefix the model continues, so the segment's opening tag or header is already in
 * place and accepted earlier segments are kept verbatim.
 */
export function segmentRequest(
  record: ParsedRecord,
  target: ReplyTarget,
  index: number,
  prefixOverride?: string,
): { request: GenerationRequest; boundary: SegmentBoundary; segment: Segment } {
  const reply = resolveReply(record, target);
  const { response } = reply;
  const segment = response.segments[index];
  if (!segment) throw new Error(`the response has ${response.segments.length} segments; there is no segment ${index}`);
  if (record.question === null) throw new Error('the record has no user question to prompt with');
  const prefix = prefixOverride ?? response.text.slice(0, segment.span[0]);
  const before: ChatMessage[] =
    reply.before.length > 0 ? reply.before.map((turn) => ({ role: turn.role, content: turn.text })) : [{ role: 'user', content: record.question }];
  const messages: ChatMessage[] = [
    ...(record.system === undefined ? [] : [{ role: 'system' as const, content: record.system }]),
    ...before,
    { role: 'assistant', content: prefix },
  ];
  const images = reply.before.length > 0 ? reply.before.flatMap((turn) => turn.images) : record.images;
  const boundary = segmentBoundary(segment);
  return {
    request: { prompt: { messages, continueFinal: true }, images, sampling: { stop: boundary.stop, forbid: boundary.forbid, requireStop: boundary.needsStop } },
    boundary,
    segment,
  };
}

/**
 * The record with every image it gives a model (its listed images and each question's) turned into what the
 * model is sent (data URIs read from the allowed folders).
 */
export function withModelImages(record: ParsedRecord, forModel: (images: string[]) => string[]): ParsedRecord {
  const conversation = record.conversation?.map((turn) => (turn.images.length === 0 ? turn : { ...turn, images: forModel(turn.images) }));
  return { ...record, images: forModel(record.images), ...(conversation ? { conversation } : {}) };
}

/** The text between a segment's end and the next one's start in the original response: closing tag, blank line, next header. */
export function glueAfter(response: Response, index: number): string {
  const segment = response.segments[index];
  const next = response.segments[index + 1];
  if (!segment || !next) return '';
  return response.text.slice(segment.span[1], next.span[0]);
}

/** A candidate's text as the segment would hold it, or why it cannot be one. */
export function segmentCandidateText(candidate: Candidate, boundary: SegmentBoundary): { text: string } | { reason: string } {
  const cut = candidate.finishReason === 'length' || candidate.finishReason === 'cancelled';
  if (cut || (boundary.needsStop && candidate.finishReason !== 'stop')) {
    const why = candidate.finishReason === 'length' ? 'the token limit' : candidate.finishReason === 'eos' ? 'the end of the sequence' : 'cancellation';
    return { reason: `no ${boundary.end} before ${why}` };
  }
  const text = boundary.needsStop ? candidate.text : candidate.text.replace(/\s+$/, '');
  if (text.trim() === '') return { reason: 'empty' };
  const tag = foreignTag(text);
  if (tag) return { reason: `contains ${tag}, which belongs to another segment` };
  return { text };
}

/** A stage or answer tag in a segment's text, which can only belong to another segment; undefined when none. */
export function foreignTag(text: string): string | undefined {
  return SEGMENT_TAGS.exec(text)?.[0];
}
