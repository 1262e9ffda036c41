import { LocalEngine } from '../../engine/localEngine';
import type { ExecutionProvider } from '../../protocol';
import { benchRow } from '../report';
import type { BenchModel } from './models';
import { PeakRss } from './peakRss';
import type { BenchPrompt } from './prompt';
import type { EngineRow } from './result';
import { greedyRequest, SEED, sampledRequest } from './subject';

/**
 * The peak RSS increase of the process while the engine loads the model (prefix cache at its default size)
 * and generates once greedily and once with 8 candidates, against the model file's size. Run before any
 * other session of the model exists in the process, so nothing it needs is already there.
 */
export async function measureMemory(model: BenchModel, provider: ExecutionProvider, prompt: BenchPrompt, fileBytes: number): Promise<EngineRow> {
  const peak = new PeakRss();
  const engine = await LocalEngine.load(model.dir, { provider });
  let held: number;
  try {
    peak.sample();
    await engine.generate(greedyRequest(prompt.text, model.tokens));
    peak.sample();
    await engine.generate(sampledRequest(prompt.text, model.tokens, 8, SEED));
    peak.sample();
    held = process.memoryUsage.rss() - peak.start;
  } finally {
    await engine.dispose();
  }
  const increase = peak.peak - peak.start;
  const how = peak.exact ? 'VmHWM' : 'highest RSS between calls';
  const onDevice = provider === 'cpu' ? '' : '; weights on the device are not in RSS';
  const note = `${how}; ${(held / 1e6).toFixed(0)} MB still held after generating${onDevice}`;
  return benchRow('memory-peak-rss', `${model.name}: peak RSS increase, load + generate`, 'MB', increase / 1e6, fileBytes / 1e6, 'model file size', note);
}
