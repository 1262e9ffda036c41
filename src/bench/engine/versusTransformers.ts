import type { ExecutionProvider } from '../../protocol';
import { benchRow } from '../report';
import { compareGreedy } from './compare';
import type { EngineRow } from './result';
import { interleaved } from './rounds';
import { greedyRequest, type Subject } from './subject';
import { TransformersModel } from './transformersJs';
import { errorMessage } from '../../errors/message';

/**
 * Greedy generation of the same length from the same prompt ids by the engine and by transformers.js on the
 * same model folder, wall time of each call; and whether both chose the same tokens.
 */
export async function measureTransformers(subject: Subject, provider: ExecutionProvider): Promise<{ row: EngineRow; matches: boolean } | { skipped: string }> {
  let model: TransformersModel;
  try {
    model = await TransformersModel.load(subject.engine.folder, provider);
  } catch (error) {
    return { skipped: `transformers.js could not load the model: ${errorMessage(error)}` };
  }
  try {
    const { engine, prompt, tokens } = subject;
    const rounds = await interleaved(
      subject.repeats,
      {
        run: async () => {
          const started = performance.now();
          const result = await engine.generate(greedyRequest(prompt.text, tokens));
          return { tokens: result.candidates[0]?.tokens ?? [], ms: performance.now() - started };
        },
        figure: (result) => result.ms,
      },
      { run: () => model.greedy(prompt.ids, tokens), figure: (result) => result.ms },
    );
    const { matches, note } = compareGreedy(rounds.lastOurs.tokens, rounds.lastBaseline.tokens, 'transformers.js');
    if (!matches) subject.log(`WARNING ${subject.name}: ${note}`);
    return {
      row: benchRow(
        'transformers',
        `${subject.name}: greedy generate, wall time`,
        'ms',
        rounds.ours,
        rounds.baseline,
        'transformers.js',
        `lower is better; ${note}`,
      ),
      matches,
    };
  } finally {
    await model.dispose();
  }
}
