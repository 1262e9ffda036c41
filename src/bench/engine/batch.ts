import type { GenerationResult } from '../../protocol';
import { benchRow } from '../report';
import type { EngineRow } from './result';
import { interleaved } from './rounds';
import { keptTokens, perSecond, SEED, sampledRequest, type Subject } from './subject';

const BATCHES = [4, 8] as const;

/** N candidates one after the other, with the seeds a batch of N gives its candidates. */
async function sequential(subject: Subject, n: number): Promise<GenerationResult[]> {
  const results: GenerationResult[] = [];
  for (let i = 0; i < n; i++) results.push(await subject.engine.generate(sampledRequest(subject.prompt.text, subject.tokens, 1, SEED + i, subject.images)));
  return results;
}

const generateMs = (results: readonly GenerationResult[]): number => results.reduce((sum, result) => sum + result.timing.generateMs, 0);

/** Tokens run through the model per token of the prompt (once) and of every candidate kept. */
function computedPerKept(results: readonly GenerationResult[]): number {
  const computed = results.reduce((sum, result) => sum + result.tokensComputed, 0);
  return computed / ((results[0]?.promptTokens.length ?? 0) + keptTokens(results));
}

/**
 * N = 4 and 8 candidates in one generate() against N generate() calls of one candidate, in tokens per second
 * of generateMs; and, from the runs of 8, the tokens computed per token kept, which prefix sharing brings to
 * about 1 where independent runs recompute the prompt for each candidate.
 */
export async function measureBatch(subject: Subject): Promise<EngineRow[]> {
  const rows: EngineRow[] = [];
  for (const n of BATCHES) {
    const rounds = await interleaved(
      subject.repeats,
      {
        run: () => subject.engine.generate(sampledRequest(subject.prompt.text, subject.tokens, n, SEED, subject.images)),
        figure: (result) => perSecond(keptTokens([result]), result.timing.generateMs),
      },
      { run: () => sequential(subject, n), figure: (results) => perSecond(keptTokens(results), generateMs(results)) },
    );
    rows.push(
      benchRow(
        `batch-${n}`,
        `${subject.name}: ${n} candidates, one batch`,
        'tok/s',
        rounds.ours,
        rounds.baseline,
        `${n} sequential n=1`,
        'above 1x: batching helps',
      ),
    );
    if (n === 8) {
      const ours = computedPerKept([rounds.lastOurs]);
      const baseline = computedPerKept(rounds.lastBaseline);
      rows.push(
        benchRow(
          'computed-per-kept',
          `${subject.name}: tokens computed per kept, n=8`,
          'per kept',
          ours,
          baseline,
          '8 runs, no prefix cache',
          'ideal 1.0, aim <= 1.1 (ours); lower is better',
        ),
      );
    }
  }
  return rows;
}
