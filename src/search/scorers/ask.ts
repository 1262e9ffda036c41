import type { ScoringContext } from './types';

/** One judge call: the prompt as a user turn, the reply's text. */
export async function askJudge(context: ScoringContext, prompt: string, sampling: { seed: number; temperature: number; maxTokens: number }): Promise<string> {
  const result = await context.judge.generate(
    { prompt: { messages: [{ role: 'user', content: prompt }], continueFinal: false }, sampling: { ...sampling, n: 1 } },
    context.signal ? { signal: context.signal } : {},
  );
  return result.candidates[0]?.text ?? '';
}
