import { parseArgs } from 'node:util';
import type { GenerationRequest } from '../backends/types';
import { samplingSchema } from '../protocol';
import { modelOptions, numberOption, parseOptions, startEngineProcess } from './modelOptions';
import { UsageError } from './usage';
import { printOut } from './terminal';

/**
 * `cot-studio generate --model DIR --prompt TEXT [--chat] [sampling options] [--json]`: decodes candidates
 * with the local engine, as the editor's regeneration does.
 */
export async function generate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...modelOptions,
      prompt: { type: 'string' },
      chat: { type: 'boolean', default: false },
      n: { type: 'string' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-p': { type: 'string' },
      'top-k': { type: 'string' },
      seed: { type: 'string' },
      stop: { type: 'string', multiple: true },
      'ignore-eos': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.prompt === undefined) throw new UsageError('--prompt TEXT is required');
  const sampling = parseOptions(samplingSchema, {
    n: numberOption(values.n),
    maxTokens: numberOption(values['max-tokens']),
    temperature: numberOption(values.temperature),
    topP: numberOption(values['top-p']),
    topK: numberOption(values['top-k']),
    seed: numberOption(values.seed),
    stop: values.stop ?? [],
    ignoreEos: values['ignore-eos'],
  });
  const { backend: engine } = await startEngineProcess(values);
  try {
    const request: GenerationRequest = {
      prompt: values.chat ? { messages: [{ role: 'user', content: values.prompt }], continueFinal: false } : { text: values.prompt },
      sampling,
    };
    const result = await engine.generate(request);
    if (values.json) {
      const { promptTokens, ep, timing, seed } = result;
      const candidates = result.candidates.map(({ text, tokens, logprob, finishReason }) => ({ text, tokens, logprob, finishReason }));
      printOut(`${JSON.stringify({ promptTokens, candidates, ep, seed, timing })}\n`);
    } else {
      result.candidates.forEach((candidate, i) => {
        printOut(
          `--- candidate ${i + 1} (${candidate.finishReason}, ${candidate.tokens.length} tokens, logprob ${candidate.logprob.toFixed(3)})\n${candidate.text}\n`,
        );
      });
      printOut(`--- ${result.ep}, seed ${result.seed}, load ${result.timing.loadMs.toFixed(0)} ms, generate ${result.timing.generateMs.toFixed(0)} ms\n`);
    }
    return 0;
  } finally {
    await engine.dispose();
  }
}
