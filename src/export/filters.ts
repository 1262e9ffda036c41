/**
 * OpenVLThinker's filters (methods.md §6) over the records an export reads: cut self-reflections, drop responses
 * over a word limit, keep the shortest correct response per question. They run before any format builds its
 * lines, so every format gets the same records.
 */
import { createHash } from 'node:crypto';
import { annotationSide, type Annotations, type Side, segmentKey } from '../dataset/annotations';
import type { JsonPath, ParsedRecord, Response, Segment } from '../dataset/record';
import { setValue } from '../dataset/recordEdit';
import { answersMatch, finalAnswerLineStart, scoredResponse } from '../rewards';
import { leftOutByReview } from './exportRecord';
import { readExportInput } from './input';
import { type ExportInput, type ExportOptions, isRefusal } from './types';

/** "Wait," and "But wait" are OpenVLThinker's; the rest are the other ways R1-style traces start a reflection. */
export const DEFAULT_REFLECTION_MARKERS = ['Wait,', 'Wait.', 'Wait a moment', 'Wait a minute', 'But wait', 'Hmm, wait'];

/** What the filters did, for the export summary. */
export interface FilterCounts {
  /** Records written with their reasoning cut at a reflection marker (a cut record another filter drops is not). */
  reflectionsCut: number;
  /** Records dropped for a response over the word limit. */
  overWordLimit: number;
  /** Records dropped because another response to their question is correct and shorter (or they are wrong). */
  notShortestCorrect: number;
  /** Questions with no correct response, dropped whole, and the records they had. */
  questionsWithoutCorrect: number;
  recordsWithoutCorrect: number;
}

export function noFilterCounts(): FilterCounts {
  return { reflectionsCut: 0, overWordLimit: 0, notShortestCorrect: 0, questionsWithoutCorrect: 0, recordsWithoutCorrect: 0 };
}

/** A record the filters judge: as the writer would get it (cut when asked), with its scored response's length. */
interface Candidate {
  input: ExportInput;
  response: Response;
  cut: boolean;
  words: number;
}

/** The records an export reads, from memory or streamed from a file. */
export type ExportInputs = Iterable<ExportInput> | AsyncIterable<ExportInput>;

/** Whether iterating `inputs` gives the iterable itself: a generator, which can be read once. */
function readsOnce(inputs: ExportInputs): boolean {
  const iterator: unknown = Symbol.asyncIterator in inputs ? inputs[Symbol.asyncIterator]() : inputs[Symbol.iterator]();
  return iterator === inputs;
}

/**
 * The records to write, cut and filtered as the options ask; records the filters do not judge (left out by
 * review, without a response) pass as they are, for the export to skip or refuse. The shortest-correct filter
 * needs a first pass over all records, so it iterates `inputs` twice: pass an array or an iterable that starts
 * over, not a generator.
 */
export async function* filteredInputs(inputs: ExportInputs, options: ExportOptions, counts: FilterCounts): AsyncGenerator<ExportInput> {
  let shortest: Map<string, Shortest | null> | null = null;
  if (options.shortestCorrect) {
    if (readsOnce(inputs)) throw new Error('the shortest-correct filter reads the records twice; a generator can be read once');
    shortest = await shortestCorrectLines(inputs, options);
    for (const found of shortest.values()) if (found === null) counts.questionsWithoutCorrect++;
  }
  for await (const input of inputs) {
    const candidate = prepare(input, options);
    if (candidate === null) {
      yield input;
      continue;
    }
    if (overWordLimit(candidate, options)) {
      counts.overWordLimit++;
      continue;
    }
    const key = shortest && questionKey(candidate.input.parsed);
    if (shortest && key) {
      const found = shortest.get(key) ?? null;
      if (found === null) {
        counts.recordsWithoutCorrect++;
        continue;
      }
      if (found.line !== input.line) {
        counts.notShortestCorrect++;
        continue;
      }
    }
    if (candidate.cut) counts.reflectionsCut++;
    yield candidate.input;
  }
}

function prepare(input: ExportInput, options: ExportOptions): Candidate | null {
  if (leftOutByReview(input, options)) return null;
  const cut = options.cutReflections ? cutReflections(input, options.cutReflections) : input;
  const response = scoredResponse(cut.parsed);
  return response ? { input: cut, response, cut: cut !== input, words: wordCount(response.text) } : null;
}

/** Words as OpenVLThinker counts them for its 500-word limit: runs of non-space characters, markup included. */
function wordCount(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}

function overWordLimit(candidate: Candidate, options: ExportOptions): boolean {
  return options.maxWords !== undefined && candidate.words > options.maxWords;
}

interface Shortest {
  line: number;
  words: number;
}

/**
 * The records that ask the same question about the same images; null for a record without a question or a
 * ground truth, which the filter leaves alone. Hashed, so the first pass over a large file holds no question text.
 */
function questionKey(parsed: ParsedRecord): string | null {
  if (parsed.groundTruth === null || parsed.question === null) return null;
  return createHash('sha256')
    .update(JSON.stringify([parsed.question, parsed.images]))
    .digest('base64');
}

/**
 * The first pass: per question, the line of its shortest response (in words, after the cut, within the word
 * limit) whose final answer matches the ground truth, the earliest on a tie; null for a question with none.
 */
async function shortestCorrectLines(inputs: ExportInputs, options: ExportOptions): Promise<Map<string, Shortest | null>> {
  const shortest = new Map<string, Shortest | null>();
  for await (const input of inputs) {
    const candidate = prepare(input, options);
    if (candidate === null || overWordLimit(candidate, options)) continue;
    const { parsed } = candidate.input;
    const key = questionKey(parsed);
    if (key === null) continue;
    const found = shortest.get(key) ?? null;
    const correct = parsed.groundTruth !== null && answersMatch(candidate.response.text, parsed.groundTruth);
    if (correct && (found === null || candidate.words < found.words)) shortest.set(key, { line: input.line, words: candidate.words });
    else if (!shortest.has(key)) shortest.set(key, null);
  }
  return shortest;
}

/** One response's string with its reasoning cut; segments from `from` on changed or moved. */
interface Cut {
  path: JsonPath;
  text: string;
  /** The annotations a cut response's segments use; null for a further search path. */
  side: Side | null;
  from: number;
  segments: number;
}

/**
 * The record with each response's reasoning cut at its first reflection marker, read again through its format
 * adapter (the string is written back as any edit is, `setValue`); the input itself when no response has a marker.
 */
function cutReflections(input: ExportInput, markers: readonly string[]): ExportInput {
  const cuts = input.parsed.responses.flatMap((response, position) => cutResponse(response, annotationSide(response, position), markers) ?? []);
  if (cuts.length === 0) return input;
  let lineText = JSON.stringify(input.record);
  for (const cut of cuts) lineText = setValue(lineText, cut.path, cut.text);
  const cutInput = readExportInput(lineText, input.line, input.parsed.format);
  // The cut leaves every tag and header the adapter reads by, so the record always reads as before.
  if (isRefusal(cutInput)) throw new Error(`line ${input.line}: the record no longer reads after the reflection cut: ${cutInput.refusal}`);
  return { ...cutInput, annotations: cuts.reduce(withoutAnnotationsFrom, cutInput.annotations) };
}

/**
 * Cuts from the first marker in the reasoning to the end of the reasoning, so the answer part, and every
 * closing tag or header before it, stay. What is left of the reasoning keeps the whitespace its end had
 * (LLaVA-CoT's `<REASONING> … </REASONING>` spaces, the line break before `</think>`).
 */
function cutResponse(response: Response, side: Side | null, markers: readonly string[]): Cut | null {
  const region = reasoningRegion(response);
  const at = region && firstMarker(response.text, markers, region);
  if (!region || at === null) return null;
  const { text, segments } = response;
  const kept = region.start + text.slice(region.start, at).trimEnd().length;
  const trailing = /\s*$/.exec(text.slice(region.start, region.end))?.[0] ?? '';
  let from = 0;
  while (from + 1 < segments.length && segments[from + 1].span[0] <= at) from++;
  return { path: segments[0].path, text: text.slice(0, kept) + trailing + text.slice(region.end), side, from, segments: segments.length };
}

interface Region {
  start: number;
  end: number;
}

/** The part of a response that holds its final answer, which a cut keeps. MMPR's `Final answer:` line shares Mulberry's label. */
function isAnswerPart(segment: Segment): boolean {
  return (
    segment.kind === 'answer' ||
    (segment.kind === 'stage' && segment.label === 'CONCLUSION') ||
    (segment.kind === 'section' && segment.label === 'Final answer')
  );
}

/** The reasoning a cut may shorten: `<think>`, LLaVA-CoT's REASONING stage (SUMMARY and CAPTION describe), steps. */
function isReasoning(segment: Segment): boolean {
  return segment.kind === 'think' || segment.kind === 'step' || (segment.kind === 'stage' && segment.label === 'REASONING');
}

/**
 * Where a response's reasoning stands in its string: from its first reasoning segment to the last one before
 * the answer part, or, in a response without markup, everything before its final-answer line. Null when there
 * is no answer part to keep, or when the response spans several strings (TRL stepwise completions, OpenAI text
 * parts), where a cut would shift the completions their labels belong to.
 */
function reasoningRegion(response: Response): Region | null {
  const { segments, text } = response;
  const path = JSON.stringify(segments[0]?.path);
  if (segments.length === 0 || segments.some((segment) => JSON.stringify(segment.path) !== path)) return null;
  if (segments.length === 1 && segments[0].kind === 'response') {
    const line = finalAnswerLineStart(text);
    const end = line === null ? 0 : text.slice(0, line).trimEnd().length;
    return end > 0 ? { start: 0, end } : null;
  }
  let answer = segments.length - 1;
  while (answer >= 0 && !isAnswerPart(segments[answer])) answer--;
  const reasoning = segments.slice(0, Math.max(answer, 0)).filter(isReasoning);
  if (reasoning.length === 0) return null;
  return { start: reasoning[0].span[0], end: reasoning[reasoning.length - 1].span[1] };
}

/** A marker counts at the start of a word only: `Await,` holds no reflection. */
const WORD_CHARACTER = /[\p{L}\p{N}_]/u;

/** Where the earliest marker starts inside the region, or null. */
function firstMarker(text: string, markers: readonly string[], region: Region): number | null {
  let first: number | null = null;
  for (const marker of markers) {
    for (let at = text.indexOf(marker, region.start); at >= 0 && at < (first ?? region.end); at = text.indexOf(marker, at + 1)) {
      if (at > 0 && WORD_CHARACTER.test(text[at - 1])) continue;
      first = at;
      break;
    }
  }
  return first;
}

/**
 * Ratings, alternatives and segment-level pairs from the first cut segment on describe text the cut changed,
 * removed or moved to another index, so the export leaves them out; those before it still hold.
 */
function withoutAnnotationsFrom(annotations: Annotations, cut: Cut): Annotations {
  if (cut.side === null) return annotations;
  const stale = new Set<string>();
  for (let index = cut.from; index < cut.segments; index++) stale.add(segmentKey(index, cut.side));
  const segments = Object.fromEntries(Object.entries(annotations.segments).filter(([key]) => !stale.has(key)));
  const preferencePairs = annotations.preferencePairs.filter(
    (pair) => cut.side !== 'primary' || pair.level !== 'segment' || pair.position === undefined || pair.position < cut.from,
  );
  return { ...annotations, segments, preferencePairs };
}
