import type { ScoringContext } from './types';

/** One judge call: the prompt as a user turn with the record's images (a vision-language judge sees them), the reply's text. */
async function askJudge(context: ScoringContext, prompt: string, sampling: { seed: number; temperature: number; maxTokens: number }): Promise<string> {
  const { images } = context.record;
  const result = await context.judge.generate(
    {
      prompt: { messages: [{ role: 'user', content: prompt }], continueFinal: false },
      ...(images.length > 0 && { images }),
      sampling: { ...sampling, n: 1 },
    },
    context.signal ? { signal: context.signal } : {},
  );
  return result.candidates[0]?.text ?? '';
}

/**
 * Asks until `parse` reads a verdict, twice at most: greedily first, then sampled at 0.7 in case the greedy
 * reply was in a form the parser refuses. `seed` is the first attempt's; the retry draws with `seed + 1`.
 */
export async function askForVerdict<T>(
  context: ScoringContext,
  prompt: string,
  parse: (reply: string) => T | undefined,
  sampling: { seed: number; maxTokens: number },
): Promise<{ verdict: T | undefined; calls: number }> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const verdict = parse(
      await askJudge(context, prompt, { seed: sampling.seed + attempt, temperature: attempt === 0 ? 0 : 0.7, maxTokens: sampling.maxTokens }),
    );
    if (verdict !== undefined) return { verdict, calls: attempt + 1 };
  }
  return { verdict: undefined, calls: 2 };
}
