import type { ScoringContext } from './types';

/**
 * One judge call: the prompt as a user turn with the record's images (a vision-language judge sees them); the
 * reply's text and the judge's probability of it, where the backend gives token log-probabilities.
 */
async function askJudge(
  context: ScoringContext,
  prompt: string,
  sampling: { seed: number; temperature: number; maxTokens: number },
): Promise<{ text: string; probability?: number }> {
  const { images } = context.record;
  const result = await context.judge.generate(
    {
      prompt: { messages: [{ role: 'user', content: prompt }], continueFinal: false },
      ...(images.length > 0 && { images }),
      sampling: { ...sampling, n: 1 },
    },
    context.signal ? { signal: context.signal } : {},
  );
  const [reply] = result.candidates;
  if (!reply) return { text: '' };
  return reply.tokenLogprobs.length === 0 ? { text: reply.text } : { text: reply.text, probability: Math.exp(reply.logprob) };
}

/**
 * Asks until `parse` reads a verdict, twice at most: greedily first, then sampled at 0.7 in case the greedy
 * reply was in a form the parser refuses. `seed` is the first attempt's; the retry draws with `seed + 1`.
 * `probability` is the judge's of the reply that gave the verdict (a verdict's confidence), when known.
 */
export async function askForVerdict<T>(
  context: ScoringContext,
  prompt: string,
  parse: (reply: string) => T | undefined,
  sampling: { seed: number; maxTokens: number },
): Promise<{ verdict: T | undefined; calls: number; probability?: number }> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const reply = await askJudge(context, prompt, { seed: sampling.seed + attempt, temperature: attempt === 0 ? 0 : 0.7, maxTokens: sampling.maxTokens });
    const verdict = parse(reply.text);
    if (verdict !== undefined) return { verdict, calls: attempt + 1, ...(reply.probability === undefined ? {} : { probability: reply.probability }) };
  }
  return { verdict: undefined, calls: 2 };
}
