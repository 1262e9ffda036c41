import type { Backend, GenerateOptions, GenerationRequest } from '../../backends/types';
import { DEFAULT_REFLECTION_PHRASE } from '../../dataset/annotations';
import type { ParsedRecord } from '../../dataset/record';
import { LocalEngine } from '../../engine/localEngine';
import type { ExecutionProvider, GenerationResult } from '../../protocol';
import { DEFAULT_MCTS, type MctsSearchResult, mctsSearch } from '../../search/mcts/modelSearch';
import { JudgeTemplates } from '../../search/scorers';
import { benchRow } from '../report';
import type { EngineModelResult, EngineRow } from './result';
import { sampleRecord } from './regenerate';
import { interleaved } from './rounds';
import { SEED, type Subject } from './subject';

/** The record searched (sampleRecord: LLaVA-CoT sample 2) from its CAPTION, so that every chain has stages to split into. */
const CAPTION = 1;
const BUDGETS = [8, 16] as const;
const MAX_REPEATS = 3;

/**
 * A rule judge standing in for a judge model, so the figures are the policy's decoding alone: a step is
 * correct when it has an even number of characters. Arbitrary, but it cuts some chains and keeps others,
 * as a judge does, and it is the same on both sides of every comparison.
 */
class RuleJudge implements Backend {
  readonly name = 'rule-judge';

  async generate(request: GenerationRequest, _options?: GenerateOptions): Promise<GenerationResult> {
    const prompt = 'messages' in request.prompt ? String(request.prompt.messages[0]?.content ?? '') : request.prompt.text;
    const step = /Next step: ([\s\S]*?)\n\nIs the next step/.exec(prompt)?.[1] ?? '';
    const text = step.length % 2 === 0 ? 'correct' : 'incorrect';
    return {
      promptTokens: [],
      candidates: [{ text, tokens: [], logprob: 0, tokenLogprobs: [], finishReason: 'eos' }],
      ep: 'cpu',
      model: this.name,
      timing: { loadMs: 0, generateMs: 0 },
      tokensComputed: 0,
    };
  }

  async dispose(): Promise<void> {}
}

interface TreeRun {
  ms: number;
  found: MctsSearchResult;
}

async function run(engine: LocalEngine, record: ParsedRecord, iterations: number, maxTokens: number): Promise<TreeRun> {
  const started = performance.now();
  const judges = [{ backend: new RuleJudge(), weight: 1, templates: new JudgeTemplates() }];
  const found = await mctsSearch([engine], judges, record, { side: 'primary' }, CAPTION, {
    ...DEFAULT_MCTS,
    iterations,
    maxTokens,
    seed: SEED,
    reflectionPhrase: DEFAULT_REFLECTION_PHRASE,
  });
  return { ms: performance.now() - started, found };
}

const iterationsPerSecond = ({ ms, found }: TreeRun): number => (found.search.iterations / ms) * 1000;
const computedPerGenerated = ({ found }: TreeRun): number => found.tokensComputed / Math.max(1, found.tokensGenerated);

/**
 * CoMCTS on a sample record with a budget of 8 and 16 iterations (4 samples per expansion, Mulberry's
 * temperature), with the prefix cache (emptied before each search) against the engine without one: every
 * expansion continues a chain whose prefix an earlier round already computed. Iterations per second, and
 * tokens computed per token generated (ideal 1.0: only new tokens computed).
 */
export async function measureTreeSearch(subject: Subject, provider: ExecutionProvider): Promise<Pick<EngineModelResult, 'rows'>> {
  const record = sampleRecord();
  const repeats = Math.min(subject.repeats, MAX_REPEATS);
  const maxTokens = 2 * subject.tokens;
  const cached = await LocalEngine.load(subject.engine.folder.dir, { provider, variant: subject.engine.folder.variant });
  const rows: EngineRow[] = [];
  try {
    const cache = cached.cache;
    if (!cache) throw new Error('the engine was loaded without a prefix cache');
    for (const iterations of BUDGETS) {
      const rounds = await interleaved(
        repeats,
        {
          run: () => {
            cache.clear();
            return run(cached, record, iterations, maxTokens);
          },
          figure: iterationsPerSecond,
        },
        { run: () => run(subject.engine, record, iterations, maxTokens), figure: iterationsPerSecond },
      );
      const { lastOurs: ours, lastBaseline: baseline } = rounds;
      const same = JSON.stringify(ours.found.search.tree.nodes) === JSON.stringify(baseline.found.search.tree.nodes);
      if (!same) subject.log(`WARNING ${subject.name}: the tree search grew another tree with the prefix cache than without`);
      const tree = `${ours.found.search.tree.nodes.length - 1} steps in the tree; ${same ? 'same tree' : 'TREES DIFFER'}`;
      rows.push(
        benchRow(
          `mcts-${iterations}`,
          `${subject.name}: tree search, ${iterations} iterations`,
          'iter/s',
          rounds.ours,
          rounds.baseline,
          'no prefix cache',
          `median of ${repeats}; ${tree}; higher is better`,
        ),
        benchRow(
          `mcts-${iterations}-per-kept`,
          `${subject.name}: tokens computed per generated, ${iterations} iterations`,
          'per kept',
          computedPerGenerated(ours),
          computedPerGenerated(baseline),
          'no prefix cache',
          `${ours.found.tokensKept} of ${ours.found.tokensGenerated} generated tokens kept in the tree; ideal 1.0; lower is better`,
        ),
      );
    }
  } finally {
    await cached.dispose();
  }
  return { rows };
}
