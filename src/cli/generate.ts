import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ImageResolver } from '../dataset/images';
import type { GenerationRequest } from '../backends/types';
import { samplingSchema } from '../protocol';
import { modelOptions, numberOption, parseOptions, startEngineProcess } from './modelOptions';
import { UsageError } from './usage';
import { printOut } from './terminal';

/** An image file named on the command line as the model gets it: a data URI, the file checked to be an image by its bytes. */
function imageArgument(file: string): string {
  const absolute = path.resolve(file);
  const read = new ImageResolver(path.dirname(absolute), []).dataUri(path.basename(absolute));
  if ('problem' in read) throw new UsageError(`--image ${file}: ${read.problem}`);
  return read.dataUri;
}

/**
 * `cot-studio generate --model DIR --prompt TEXT [--chat] [--image PATH]... [sampling options] [--json]`: decodes
 * candidates with the local engine, as the editor's regeneration does; a vision-language model sees the images.
 */
export async function generate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...modelOptions,
      prompt: { type: 'string' },
      chat: { type: 'boolean', default: false },
      image: { type: 'string', multiple: true },
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
  const images = (values.image ?? []).map(imageArgument);
  const { backend: engine } = await startEngineProcess(values);
  try {
    // With --chat the user message holds the images, then the text; a text prompt gets them first.
    const request: GenerationRequest = {
      prompt: values.chat ? { messages: [{ role: 'user', content: values.prompt }], continueFinal: false } : { text: values.prompt },
      ...(images.length > 0 && { images }),
      sampling,
    };
    const result = await engine.generate(request);
    if (values.json) {
      const { promptTokens, ep, timing, seed, imagesSeen } = result;
      const candidates = result.candidates.map(({ text, tokens, logprob, finishReason }) => ({ text, tokens, logprob, finishReason }));
      printOut(`${JSON.stringify({ promptTokens, candidates, ep, seed, timing, imagesSeen })}\n`);
    } else {
      result.candidates.forEach((candidate, i) => {
        printOut(
          `--- candidate ${i + 1} (${candidate.finishReason}, ${candidate.tokens.length} tokens, logprob ${candidate.logprob.toFixed(3)})\n${candidate.text}\n`,
        );
      });
      const seen = images.length === 0 ? '' : `, ${result.imagesSeen ?? 0} of ${images.length} images seen`;
      printOut(
        `--- ${result.ep}, seed ${result.seed}, load ${result.timing.loadMs.toFixed(0)} ms, generate ${result.timing.generateMs.toFixed(0)} ms${seen}\n`,
      );
    }
    return 0;
  } finally {
    await engine.dispose();
  }
}
