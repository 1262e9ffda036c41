import { benchRow } from '../report';
import type { BareLoop } from './bareLoop';
import { compareGreedy } from './compare';
import type { EngineRow } from './result';
import { interleaved } from './rounds';
import { greedyRequest, perSecond, type Subject } from './subject';

/**
 * Greedy decoding, n = 1, prefix cache off, against the bare loop on the same prompt ids (and, for a
 * vision-language model, the same image features and positions); tokens per second over the span from the first
 * model call to the last token (the prompt's prefill included) on both sides.
 */
export async function measureDecode(subject: Subject, bare: BareLoop): Promise<{ row: EngineRow; matches: boolean }> {
  const { engine, prompt, tokens, images } = subject;
  const request = greedyRequest(prompt.text, tokens, images);
  const prepared = await engine.prepare(request);
  const imageTokenId = engine.vision?.imageTokenId;
  const bareImages = prepared.image && imageTokenId !== undefined ? { prompt: prepared.image, imageTokenId } : undefined;
  const rounds = await interleaved(
    subject.repeats,
    {
      run: () => engine.generate(request),
      figure: (result) => perSecond(result.candidates[0]?.tokens.length ?? 0, result.timing.generateMs),
    },
    { run: () => bare.greedy(prepared.tokens, tokens, bareImages), figure: (result) => perSecond(result.tokens.length, result.ms) },
  );
  const { matches, note } = compareGreedy(rounds.lastOurs.candidates[0]?.tokens ?? [], rounds.lastBaseline.tokens, 'the bare loop');
  if (!matches) subject.log(`WARNING ${subject.name}: ${note}`);
  return {
    row: benchRow(
      'decode',
      `${subject.name}: decode, greedy n=1${images.length > 0 ? ', after an image' : ''}`,
      'tok/s',
      rounds.ours,
      rounds.baseline,
      'bare onnxruntime loop',
      `aim >= 0.9x; ${note}`,
    ),
    matches,
  };
}
