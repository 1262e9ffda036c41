import * as path from 'node:path';
import type { Backend, GenerateOptions, GenerationRequest } from '../../backends/types';
import { ImageResolver } from '../../dataset/images';
import { readRecordState } from '../../dataset/operations';
import type { ParsedRecord } from '../../dataset/record';
import { LocalEngine } from '../../engine/localEngine';
import type { ExecutionProvider, GenerationResult } from '../../protocol';
import { withModelImages } from '../../search/segmentPrompt';
import { type MonteCarloOptions, type MonteCarloResult, monteCarloScores } from '../../stepLabels/monteCarlo';
import { benchRow } from '../report';
import { MAX_REPEATS } from './regenerate';
import type { EngineRow } from './result';
import { LLAVA_COT_SAMPLES, readSampleFile } from './models';
import { interleaved } from './rounds';
import { SEED, type Subject } from './subject';

const ROLLOUTS = 8;
/** Mulberry sample 1: image description, rationales, the step-by-step header, three steps and the final answer. */
const MULBERRY_SAMPLES = path.join(path.dirname(LLAVA_COT_SAMPLES), 'mulberry.jsonl');
/** Its answer, which the sample file does not carry: the rollouts are checked against it. */
const GROUND_TRUTH = 'B';

/** The Mulberry sample with its ground truth, its image as the model is shown it. */
function stepsRecord(): ParsedRecord {
  const [line] = readSampleFile(MULBERRY_SAMPLES).split('\n');
  if (line === undefined) throw new Error(`${MULBERRY_SAMPLES} is empty`);
  const record = readRecordState(JSON.stringify({ ...(JSON.parse(line) as object), answer: GROUND_TRUTH })).parsed;
  const images = new ImageResolver(path.dirname(MULBERRY_SAMPLES));
  return withModelImages(record, (paths) => images.forModel(paths));
}

/**
 * The baseline of batching: every request of n candidates run as n requests of one, with the seeds the batch
 * gives its candidates, so both sides draw the same rollouts.
 */
class OneAtATime implements Backend {
  readonly name: string;

  constructor(private readonly inner: Backend) {
    this.name = inner.name;
  }

  async generate(request: GenerationRequest, options?: GenerateOptions): Promise<GenerationResult> {
    const n = request.sampling?.n ?? 1;
    const seed = request.sampling?.seed ?? 0;
    const results: GenerationResult[] = [];
    for (let i = 0; i < n; i++) results.push(await this.inner.generate({ ...request, sampling: { ...request.sampling, n: 1, seed: seed + i } }, options));
    const [first] = results;
    if (!first) throw new Error('no candidates were asked for');
    return {
      ...first,
      candidates: results.flatMap((result) => result.candidates),
      tokensComputed: results.reduce((sum, result) => sum + result.tokensComputed, 0),
    };
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}

interface McRun {
  ms: number;
  result: MonteCarloResult;
}

async function run(backend: Backend, record: ParsedRecord, options: Partial<MonteCarloOptions>): Promise<McRun> {
  const started = performance.now();
  const result = await monteCarloScores(backend, record, { side: 'primary' }, options);
  return { ms: performance.now() - started, result };
}

const rolloutsPerSecond = ({ ms, result }: McRun): number => (result.rollouts / ms) * 1000;
const computedPerGenerated = ({ result }: McRun): number => result.tokensComputed / Math.max(1, result.tokensGenerated);

/**
 * Monte Carlo step scores of a 7-step Mulberry response with K = 8 rollouts per prefix: tokens computed per token
 * generated with the prefix cache against without (each prefix extends the one before, so its rollouts resume it);
 * rollouts per second batched (K in one generate) against one at a time; and the binary search's rollouts against
 * the linear scan's.
 */
export async function measureMonteCarlo(subject: Subject, provider: ExecutionProvider): Promise<EngineRow[]> {
  const record = stepsRecord();
  const steps = record.responses[0]?.segments.length ?? 0;
  const repeats = Math.min(subject.repeats, MAX_REPEATS);
  const options = { rollouts: ROLLOUTS, maxTokens: subject.tokens, seed: SEED };
  const cached = await LocalEngine.load(subject.engine.folder.dir, { provider, variant: subject.engine.folder.variant });
  try {
    const cache = await interleaved(
      repeats,
      {
        run: () => {
          cached.cache?.clear();
          return run(cached, record, options);
        },
        figure: computedPerGenerated,
      },
      { run: () => run(subject.engine, record, options), figure: computedPerGenerated },
    );
    const batch = await interleaved(
      repeats,
      { run: () => run(subject.engine, record, options), figure: rolloutsPerSecond },
      { run: () => run(new OneAtATime(subject.engine), record, options), figure: rolloutsPerSecond },
    );
    const linear = batch.lastOurs.result;
    const binary = (await run(subject.engine, record, { ...options, search: 'binary' })).result;
    const same = binary.firstError === linear.firstError ? 'the same first error' : 'A DIFFERENT FIRST ERROR';
    return [
      benchRow(
        'mc-per-generated',
        `${subject.name}: MC step scores, ${steps} steps × ${ROLLOUTS}: tokens computed per generated`,
        'per kept',
        cache.ours,
        cache.baseline,
        'no prefix cache',
        `aim <= 0.5x; ${linear.rollouts} rollouts; lower is better`,
      ),
      benchRow(
        'mc-rollouts',
        `${subject.name}: MC rollouts per second, ${ROLLOUTS} per prefix`,
        'iter/s',
        batch.ours,
        batch.baseline,
        'one at a time',
        'higher is better',
      ),
      benchRow(
        'mc-binary',
        `${subject.name}: rollouts to find the first error, binary search`,
        'candidates',
        binary.rollouts,
        linear.rollouts,
        'linear scan',
        `first error ${binary.firstError ?? 'none'}: ${same}; lower is better`,
      ),
    ];
  } finally {
    await cached.dispose();
  }
}
