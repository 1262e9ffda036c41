import { type Annotations, SEGMENTATION, segmentKey } from './annotations';
import { SECTIONS } from './formats/sections';
import type { Json, JsonObject, ParsedRecord, Response, Segment } from './record';
import { flatMapped } from './flatMapped';

/** `### Let's think step by step.`, the one header whose other endings are new segments. */
const STEP_BY_STEP = SECTIONS[2];

function stringAt(record: JsonObject, segment: Segment): string {
  let value: Json | undefined = record;
  for (const part of segment.path) value = value !== null && typeof value === 'object' ? (value as Record<string, Json>)[part] : undefined;
  return typeof value === 'string' ? value : '';
}

/**
 * Whether earlier versions made no segment of it: the text between `</think>` and `<answer>`, and a
 * `### Let's think step by step` header ended otherwise than by `.` (its line was then part of the rationales).
 */
function isAdded(record: JsonObject, segment: Segment): boolean {
  if (segment.kind === 'summary') return true;
  if (segment.kind !== 'section' || segment.label !== STEP_BY_STEP.label) return false;
  const text = stringAt(record, segment);
  const header = text.lastIndexOf(STEP_BY_STEP.header.slice(0, -1), segment.span[0]);
  return header >= 0 && !text.startsWith(STEP_BY_STEP.header, header);
}

/** Where each segment index of earlier versions stands now; indices past their last segment move by all that were added. */
function indexMoves(record: JsonObject, response: Response | undefined): ((index: number) => number) | null {
  const kept = flatMapped(response?.segments ?? [], (segment, index) => (isAdded(record, segment) ? [] : [index]));
  const added = (response?.segments.length ?? 0) - kept.length;
  if (added === 0) return null;
  return (index) => kept[index] ?? index + added;
}

/**
 * Annotations read in the segment indices the record has now. A block written before the summary and the
 * step-by-step header variants were segments (it has no `segmentation`) counts its indices without them: each
 * index is moved past the segments added before it, so a rating stays on the text it was given to. The result
 * carries `segmentation` whenever the record has such a segment, so a block written from it is moved once only;
 * a record without one is left as it is. Segment-level pairs, reflections and history name the first response's
 * segments, and move with it (those of a later reply of a conversation, which carry its turn, were never counted otherwise).
 */
export function inCurrentIndices(annotations: Annotations, record: JsonObject, parsed: ParsedRecord): Annotations {
  const primary = indexMoves(record, parsed.responses[0]);
  const rejected = indexMoves(record, parsed.responses[1]);
  if (primary === null && rejected === null) return annotations;
  if ((annotations.segmentation ?? 1) >= SEGMENTATION) return annotations;
  const move = primary ?? ((index: number) => index);
  const segments = Object.fromEntries(
    Object.entries(annotations.segments).map(([key, value]) => {
      const [side, index] = key.startsWith('rejected:') ? (['rejected', Number(key.slice('rejected:'.length))] as const) : (['primary', Number(key)] as const);
      const moved = side === 'rejected' ? rejected : primary;
      return [Number.isInteger(index) && moved ? segmentKey(moved(index), side) : key, value];
    }),
  );
  return {
    ...annotations,
    segmentation: SEGMENTATION,
    segments,
    preferencePairs: annotations.preferencePairs.map((pair) =>
      pair.position === undefined || pair.turn !== undefined ? pair : { ...pair, position: move(pair.position) },
    ),
    reflections: annotations.reflections.map((reflection) =>
      reflection.turn !== undefined ? reflection : { ...reflection, segment: move(reflection.segment) },
    ),
    history: annotations.history.map((entry) => (entry.segment === undefined || entry.turn !== undefined ? entry : { ...entry, segment: move(entry.segment) })),
  };
}
