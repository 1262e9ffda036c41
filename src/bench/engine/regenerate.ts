import type { Backend } from '../../backends/types';
import * as path from 'node:path';
import { ImageResolver } from '../../dataset/images';
import { readRecordState } from '../../dataset/operations';
import type { ParsedRecord } from '../../dataset/record';
import { LocalEngine } from '../../engine/localEngine';
import type { ExecutionProvider, GenerationRequest, GenerationResult } from '../../protocol';
import { type BeamOptions, type BeamStage, beamSearch, DEFAULT_BEAM } from '../../search/beam';
import { makeScorer } from '../../search/scorers';
import { responseOf, segmentRequest, withModelImages } from '../../search/segmentPrompt';
import { benchRow } from '../report';
import { median } from '../timing';
import { LLAVA_COT_SAMPLES, readSampleFile } from './models';
import type { EngineModelResult, EngineRow } from './result';
import { interleaved } from './rounds';
import { keptTokens, SEED, type Subject } from './subject';

/** The record regenerated: LLaVA-CoT sample 2, stages SUMMARY, CAPTION, REASONING, CONCLUSION. */
const SAMPLE_LINE = 1;
const SUMMARY = 0;
export const REASONING = 2;
const STAGE_CANDIDATES = [4, 8] as const;
const REST_CANDIDATES = 4;
/** Rounds at most: a round decodes hundreds of tokens a side, and the bench's five would double its time. */
export const MAX_REPEATS = 3;
// Log-probability ranking costs no model calls, so the figures are decoding alone.
const SCORER = makeScorer('logprob');

/** The sample record as a model is shown it: its image read from the samples' folder as a data URI. */
export function sampleRecord(): ParsedRecord {
  const line = readSampleFile(LLAVA_COT_SAMPLES).split('\n')[SAMPLE_LINE];
  if (line === undefined) throw new Error(`${LLAVA_COT_SAMPLES} has no line ${SAMPLE_LINE + 1}`);
  const images = new ImageResolver(path.dirname(LLAVA_COT_SAMPLES));
  return withModelImages(readRecordState(line).parsed, (paths) => images.forModel(paths));
}

/** One search: its figures, and every generate() result behind it (beamSearch reports no token counts). */
export interface SearchRun {
  generateMs: number;
  tokensComputed: number;
  results: GenerationResult[];
  stages: BeamStage[];
}

/** `shape` changes each request before the engine gets it (the grammar measure takes the grammar off). */
export async function search(
  engine: LocalEngine,
  record: ParsedRecord,
  first: number,
  options: BeamOptions,
  shape = (request: GenerationRequest) => request,
): Promise<SearchRun> {
  const results: GenerationResult[] = [];
  const backend: Backend = {
    name: engine.name,
    generate: async (request, generateOptions) => {
      const result = await engine.generate(shape(request), generateOptions);
      results.push(result);
      return result;
    },
    dispose: async () => undefined,
  };
  const { generateMs, tokensComputed, stages } = await beamSearch(backend, SCORER, backend, record, { side: 'primary' }, first, options);
  return { generateMs, tokensComputed, results, stages };
}

/** The request beamSearch sends for the stage, as one candidate drawn with `seed`: its candidate i alone. */
function singleRequest(record: ParsedRecord, options: BeamOptions, seed: number): GenerationRequest {
  const { request } = segmentRequest(record, { side: 'primary' }, REASONING);
  return { ...request, sampling: { ...request.sampling, n: 1, seed, temperature: options.temperature, topP: options.topP, maxTokens: options.maxTokens } };
}

async function sequential(engine: LocalEngine, record: ParsedRecord, options: BeamOptions): Promise<GenerationResult[]> {
  const results: GenerationResult[] = [];
  for (let i = 0; i < options.candidates; i++) results.push(await engine.generate(singleRequest(record, options, options.seed + i)));
  return results;
}

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

function sharedLength(a: readonly number[], b: readonly number[]): number {
  let length = 0;
  while (length < a.length && length < b.length && a[length] === b[length]) length++;
  return length;
}

/**
 * Tokens the results need run through the model at least: each prompt less the longest start it shares with
 * an earlier prompt followed by one of its candidates, plus every candidate's tokens. For one prompt that is
 * the prompt once plus Σ generated; for a search of the rest, later stages add only the text between stages.
 */
function keptOf(results: readonly GenerationResult[]): number {
  const earlier: number[][] = [];
  let kept = 0;
  for (const result of results) {
    const reused = Math.max(0, ...earlier.map((sequence) => sharedLength(result.promptTokens, sequence)));
    kept += result.promptTokens.length - reused + keptTokens([result]);
    earlier.push(...result.candidates.map((candidate) => [...result.promptTokens, ...candidate.tokens]));
  }
  return kept;
}

const computedPerKept = (computed: number, results: readonly GenerationResult[]): number => computed / keptOf(results);

const candidateTokens = (results: readonly GenerationResult[]): number[][] =>
  results.flatMap((result) => result.candidates.map((candidate) => candidate.tokens));

/** Whether both sides drew the same candidates, token for token; the timings compare like with like only then. */
function sameCandidates(ours: readonly GenerationResult[], theirs: readonly GenerationResult[]): boolean {
  const a = candidateTokens(ours);
  const b = candidateTokens(theirs);
  return a.length === b.length && a.every((tokens, i) => tokens.length === b[i]?.length && tokens.every((token, j) => token === b[i]?.[j]));
}

/** One N of a round of the stage: its search, and the same N candidates drawn one generate() each. */
interface StageSide {
  n: (typeof STAGE_CANDIDATES)[number];
  search: SearchRun;
  singles: GenerationResult[];
}

/** A search for each N, then the largest N's single runs, whose first N are each smaller N's (same requests). */
async function stageRound(engine: LocalEngine, record: ParsedRecord, beam: BeamOptions): Promise<StageSide[]> {
  const searches: Array<Omit<StageSide, 'singles'>> = [];
  for (const n of STAGE_CANDIDATES) searches.push({ n, search: await search(engine, record, REASONING, { ...beam, candidates: n }) });
  const singles = await sequential(engine, record, { ...beam, candidates: Math.max(...STAGE_CANDIDATES) });
  return searches.map((side) => ({ ...side, singles: singles.slice(0, side.n) }));
}

const generateMs = (results: readonly GenerationResult[]): number => sum(results.map((result) => result.timing.generateMs));

/**
 * REASONING regenerated by beam search with N candidates in one batch, against the same N candidates drawn by
 * N generate() calls of one candidate (the seeds the batch gives them), both on the engine without a prefix
 * cache: generateMs summed, and tokens computed per token kept. A warm-up round, then `repeats`; the single
 * runs are shared between the Ns so that a round runs them once.
 */
async function measureStage(subject: Subject, record: ParsedRecord, beam: BeamOptions, repeats: number): Promise<EngineRow[]> {
  let last = await stageRound(subject.engine, record, beam);
  const rounds: StageSide[] = [];
  for (let round = 0; round < repeats; round++) {
    last = await stageRound(subject.engine, record, beam);
    rounds.push(...last);
  }
  return last.flatMap(({ n, search: ours, singles }) => {
    const sides = rounds.filter((side) => side.n === n);
    const valid = ours.stages[0]?.candidates.length ?? 0;
    const same = sameCandidates(ours.results, singles);
    if (!same) subject.log(`WARNING ${subject.name}: beam n=${n} drew other candidates than ${n} single runs`);
    const note = `median of ${repeats}; ${valid} of ${n} candidates valid; ${same ? 'same candidates' : 'CANDIDATES DIFFER'}; lower is better`;
    return [
      benchRow(
        `regenerate-${n}`,
        `${subject.name}: regenerate a stage, beam n=${n}`,
        'ms',
        median(sides.map((side) => side.search.generateMs)),
        median(sides.map((side) => generateMs(side.singles))),
        `${n} sequential n=1`,
        note,
      ),
      benchRow(
        `regenerate-${n}-per-kept`,
        `${subject.name}: tokens computed per kept, beam n=${n}`,
        'per kept',
        computedPerKept(ours.tokensComputed, ours.results),
        computedPerKept(sum(singles.map((result) => result.tokensComputed)), singles),
        `${n} runs, no prefix cache`,
        'ideal 1.0; lower is better',
      ),
    ];
  });
}

/**
 * The whole response regenerated stage by stage from SUMMARY, with the prefix cache (emptied before each
 * search) against without: later stages resume from the KV of the prompt and the winner before them.
 * A model that closes no stage stops the search after the first, which shows no reuse: skipped then.
 */
async function measureRest(
  subject: Subject,
  provider: ExecutionProvider,
  record: ParsedRecord,
  beam: BeamOptions,
  repeats: number,
): Promise<Pick<EngineModelResult, 'rows' | 'skipped'>> {
  const options = { ...beam, candidates: REST_CANDIDATES, rest: true };
  const stages = responseOf(record, { side: 'primary' }).segments.length - SUMMARY;
  // A probe before the rounds: whether the search gets past its first stage at all.
  const [first] = (await search(subject.engine, record, SUMMARY, options)).stages;
  if (first?.chosen === undefined) {
    const dropped = [...new Set(first?.dropped.map((candidate) => candidate.reason))].join('; ');
    const reason = `every candidate of the first stage was dropped (${dropped}), so the search stops there and reuses nothing`;
    subject.log(`regenerate-rest skipped: ${reason}`);
    return {
      rows: [],
      skipped: [
        { id: 'regenerate-rest', reason },
        { id: 'regenerate-rest-per-kept', reason },
      ],
    };
  }
  const engine = await LocalEngine.load(subject.engine.folder.dir, { provider, variant: subject.engine.folder.variant });
  try {
    const cache = engine.cache;
    if (!cache) throw new Error('the engine was loaded without a prefix cache');
    const rounds = await interleaved(
      repeats,
      {
        run: () => {
          cache.clear();
          return search(engine, record, SUMMARY, options);
        },
        figure: (run) => run.generateMs,
      },
      { run: () => search(subject.engine, record, SUMMARY, options), figure: (run) => run.generateMs },
    );
    const { lastOurs: ours, lastBaseline: baseline } = rounds;
    const searched = ours.stages.length;
    const done = `${searched} of ${stages} stages${searched < stages ? ' (STOPPED EARLY: every candidate dropped)' : ''}`;
    const same = sameCandidates(ours.results, baseline.results);
    if (!same) subject.log(`WARNING ${subject.name}: the search of the rest drew other candidates with the prefix cache than without`);
    return {
      rows: [
        benchRow(
          'regenerate-rest',
          `${subject.name}: regenerate the rest, beam n=${REST_CANDIDATES}`,
          'ms',
          rounds.ours,
          rounds.baseline,
          'no prefix cache',
          `median of ${repeats}; ${done}; ${same ? 'same candidates' : 'CANDIDATES DIFFER'}; lower is better`,
        ),
        benchRow(
          'regenerate-rest-per-kept',
          `${subject.name}: tokens computed per kept, rest n=${REST_CANDIDATES}`,
          'per kept',
          computedPerKept(ours.tokensComputed, ours.results),
          computedPerKept(baseline.tokensComputed, baseline.results),
          'no prefix cache',
          `saved ${baseline.tokensComputed - ours.tokensComputed} of ${baseline.tokensComputed} tokens computed; ideal 1.0`,
        ),
      ],
      skipped: [],
    };
  } finally {
    await engine.dispose();
  }
}

/**
 * Stage regeneration as the extension runs it (beam search, LLaVA-CoT sampling, fixed seed), on a sample
 * record. Candidates may run to twice the tokens the other measures decode, room for a stage to close.
 */
export async function measureRegenerate(subject: Subject, provider: ExecutionProvider): Promise<Pick<EngineModelResult, 'rows' | 'skipped'>> {
  const record = sampleRecord();
  const beam: BeamOptions = { ...DEFAULT_BEAM, seed: SEED, maxTokens: 2 * subject.tokens };
  const repeats = Math.min(subject.repeats, MAX_REPEATS);
  const stage = await measureStage(subject, record, beam, repeats);
  const rest = await measureRest(subject, provider, record, beam, repeats);
  return { rows: [...stage, ...rest.rows], skipped: rest.skipped };
}
