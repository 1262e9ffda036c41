import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Backend, GenerateOptions, GenerationRequest } from '../../src/backends/types';
import { LocalEngine } from '../../src/engine/localEngine';
import type { GenerationResult, PromptLimits } from '../../src/protocol';
import { makeTestModel } from '../../src/testModel';
import { datasetsDir } from './fixtures';
import { scratchFolder } from './scratch';

/** A bigram model of the sample datasets in a new temporary folder, so its generations look like the data. */
export function bigramModel(maxPositions?: number): string {
  const dir = scratchFolder('cot-studio-serve-model-');
  makeTestModel(dir, {
    kind: 'bigram',
    corpus: [path.join(datasetsDir, 'llava_cot.jsonl'), path.join(datasetsDir, 'mulberry.jsonl')],
    hidden: 128,
    vocab: 512,
    ...(maxPositions === undefined ? {} : { maxPositions }),
  });
  return dir;
}

/** The local ONNX engine, in this process, on a new bigram model. */
export function engineBackend(): Promise<LocalEngine> {
  return LocalEngine.load(bigramModel(), { provider: 'cpu' });
}

/** Wraps a backend to see what reached it: the requests, how many ran at once, and aborts. */
export class ObservedBackend implements Backend {
  readonly name: string;
  readonly requests: GenerationRequest[] = [];
  active = 0;
  maxActive = 0;
  aborts = 0;

  constructor(private readonly inner: Backend) {
    this.name = inner.name;
  }

  async generate(request: GenerationRequest, options: GenerateOptions = {}): Promise<GenerationResult> {
    this.requests.push(request);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    options.signal?.addEventListener('abort', () => this.aborts++, { once: true });
    try {
      return await this.inner.generate(request, options);
    } finally {
      this.active--;
    }
  }

  promptLimits(): Promise<PromptLimits> {
    return this.inner.promptLimits?.() ?? Promise.resolve({});
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}

/** Polls until `condition` holds, failing with `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
