import { setTimeout as sleep } from 'node:timers/promises';
import { generationRequestSchema, samplingSchema, type Candidate, type GenerationResult, type TokenEvent } from '../../protocol';
import type { Backend, GenerateOptions, GenerationRequest } from '../types';
import { CandidateDrafts } from './candidates';
import { openAIBackendOptionsSchema, type OpenAIBackendOptions, type OpenAIBackendOptionsInput } from './options';
import { streamOnce, type Attempt } from './remote';
import { buildCall } from './requestBody';
import { AttemptError, backoffDelay } from './retry';
import { Semaphore } from './semaphore';

export { openAIBackendOptionsSchema, type OpenAIBackendOptions, type OpenAIBackendOptionsInput } from './options';

interface Outcome {
  candidates: Candidate[];
  promptTokenIds?: number[];
  usage?: { promptTokens: number; completionTokens: number };
}

/** Candidates from an OpenAI-compatible server (vLLM, SGLang, llama.cpp server, Ollama), streamed. */
export class OpenAICompatibleBackend implements Backend {
  readonly name: string;
  private readonly options: OpenAIBackendOptions;
  private readonly slots: Semaphore;
  private readonly running = new Set<AbortController>();

  constructor(options: OpenAIBackendOptionsInput) {
    this.options = openAIBackendOptionsSchema.parse(options);
    this.name = `openai:${this.options.baseUrl} ${this.options.model}`;
    this.slots = new Semaphore(this.options.maxConcurrent);
  }

  async generate(request: GenerationRequest, { signal, onToken }: GenerateOptions = {}): Promise<GenerationResult> {
    const { prompt, images, sampling: asked } = generationRequestSchema.parse(request);
    const sampling = samplingSchema.parse(asked ?? {});
    const call = buildCall(this.options.model, prompt, images ?? [], sampling);
    const attempt: Attempt = {
      url: `${this.options.baseUrl}${call.path}`,
      endpoint: call.endpoint,
      body: call.body,
      apiKey: this.options.apiKey,
      timeoutMs: this.options.timeoutMs,
    };
    const controller = new AbortController();
    const aborted = signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal]);
    this.running.add(controller);
    let release: (() => void) | undefined;
    try {
      let started = performance.now();
      let outcome: Outcome;
      try {
        release = await this.slots.acquire(aborted);
        started = performance.now();
        outcome = await this.stream(attempt, sampling.n, aborted, onToken);
      } catch (error) {
        if (!aborted.aborted) throw error;
        outcome = { candidates: new CandidateDrafts(sampling.n).cancelled() };
      }
      return {
        promptTokens: outcome.promptTokenIds ?? [],
        candidates: outcome.candidates,
        ep: 'remote',
        model: this.options.model,
        ...(sampling.seed !== undefined && { seed: sampling.seed }),
        timing: { loadMs: 0, generateMs: performance.now() - started },
        tokensComputed: outcome.usage === undefined ? 0 : outcome.usage.promptTokens + outcome.usage.completionTokens,
      };
    } finally {
      release?.();
      this.running.delete(controller);
    }
  }

  /** Ends the requests in flight; each resolves with its candidates marked cancelled. */
  async dispose(): Promise<void> {
    for (const controller of this.running) controller.abort();
  }

  /** Streams one call, repeating attempts that failed before any text was handed on. */
  private async stream(attempt: Attempt, n: number, signal: AbortSignal, onToken: ((event: TokenEvent) => void) | undefined): Promise<Outcome> {
    for (let retry = 0; ; retry++) {
      const drafts = new CandidateDrafts(n);
      const outcome: Omit<Outcome, 'candidates'> = {};
      try {
        await streamOnce(attempt, signal, (chunk) => {
          for (const choice of chunk.choices) {
            drafts.add(choice);
            if (choice.text !== '') onToken?.({ candidate: choice.index, text: choice.text });
          }
          if (chunk.usage !== undefined) outcome.usage = chunk.usage;
          if (chunk.promptTokenIds !== undefined) outcome.promptTokenIds = chunk.promptTokenIds;
        });
        return { ...outcome, candidates: drafts.finished() };
      } catch (error) {
        if (signal.aborted) return { ...outcome, candidates: drafts.cancelled() };
        if (!(error instanceof AttemptError) || !error.retryable || drafts.delivered || retry >= this.options.retries) {
          throw retry > 0 && error instanceof Error ? new Error(`${error.message} (attempt ${retry + 1})`) : error;
        }
        await sleep(error.retryAfterMs ?? backoffDelay(this.options.backoffMs, retry), undefined, { signal });
      }
    }
  }
}
