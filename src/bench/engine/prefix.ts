import { LocalEngine } from '../../engine/localEngine';
import type { ExecutionProvider, GenerationResult } from '../../protocol';
import { benchRow } from '../report';
import type { BenchPrompt } from './prompt';
import type { EngineRow } from './result';
import { interleaved } from './rounds';
import { greedyRequest, type Subject } from './subject';

/**
 * Time to first token (one-token generations) of a prompt that extends an earlier request's prompt: warm,
 * resuming from the earlier prompt's cached KV, against cold, the cache emptied first. The same engine serves
 * both, with the prefix cache on at its default size.
 */
export async function measurePrefixHit(subject: Subject, provider: ExecutionProvider, extended: BenchPrompt): Promise<EngineRow> {
  const engine = await LocalEngine.load(subject.engine.folder.dir, { provider, variant: subject.engine.folder.variant });
  try {
    const cache = engine.cache;
    if (!cache) throw new Error('the engine was loaded without a prefix cache');
    const first = greedyRequest(subject.prompt.text, 1, subject.images);
    const second = greedyRequest(extended.text, 1, subject.images);
    const firstToken = (result: GenerationResult) => result.timing.generateMs;
    const rounds = await interleaved(
      subject.repeats,
      {
        run: async () => {
          cache.clear();
          await engine.generate(first);
          return engine.generate(second);
        },
        figure: firstToken,
      },
      {
        run: () => {
          cache.clear();
          return engine.generate(second);
        },
        figure: firstToken,
      },
    );
    const { promptTokens, tokensComputed } = rounds.lastOurs;
    const reused = promptTokens.length - tokensComputed;
    if (reused === 0) subject.log(`WARNING ${subject.name}: the extended prompt reused no cached tokens`);
    const note = `${reused === 0 ? 'NO CACHE HIT' : `reused ${reused}`} of ${promptTokens.length} prompt tokens; lower is better`;
    return benchRow('prefix-hit', `${subject.name}: prefix-cache hit, first token`, 'ms', rounds.ours, rounds.baseline, 'cache emptied', note);
  } finally {
    await engine.dispose();
  }
}
