import { setTimeout as sleep } from 'node:timers/promises';
import { generationRequestSchema, samplingSchema, type Candidate, type GenerationResult, type Prompt, type Sampling, type TokenEvent } from '../../protocol';
import { brokenConstraint, constraintRegex } from '../constraint';
import type { Backend, CandidateGrammar, GenerateOptions, GenerationRequest } from '../types';
import { CandidateDrafts } from './candidates';
import { openAIBackendOptionsSchema, type OpenAIBackendOptions, type OpenAIBackendOptionsInput } from './options';
import { streamOnce, type Attempt } from './remote';
import { buildCall } from './requestBody';
import { AttemptError, backoffDelay } from './retry';
import { Semaphore } from './semaphore';

export { openAIBackendOptionsSchema, type OpenAIBackendOptions, type OpenAIBackendOptionsInput } from './options';

/** The fields a server may take a constraint in, in the order they are tried: vLLM's, vLLM's before 0.11, SGLang's. */
const CONSTRAINT_FIELDS: ReadonlyArray<{ name: string; grammar: CandidateGrammar; body: (regex: string) => Record<string, unknown> }> = [
  { name: 'structured_outputs', grammar: 'structured_outputs regex', body: (regex) => ({ structured_outputs: { regex } }) },
  { name: 'guided_regex', grammar: 'guided_regex', body: (regex) => ({ guided_regex: regex }) },
  { name: 'regex', grammar: 'regex (SGLang)', body: (regex) => ({ regex }) },
];
/** Past the last field: the server takes none, and candidates are checked after sampling. */
const NO_FIELD = CONSTRAINT_FIELDS.length;

/** A 400 or 422 that names the field, or says that a field is not known: the server does not take it. */
function refusesField(error: unknown, field: string): boolean {
  if (!(error instanceof AttemptError) || (error.status !== 400 && error.status !== 422)) return false;
  return (
    error.message.includes(field) ||
    /\b(extra|unrecogni[sz]ed|unknown|unexpected|unsupported)\b.{0,40}\b(fields?|arguments?|parameters?|inputs?|keys?)\b/i.test(error.message)
  );
}

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
  /** Index into CONSTRAINT_FIELDS of the field this server takes, found out on constrained requests and kept. */
  private constraintField = 0;

  constructor(options: OpenAIBackendOptionsInput) {
    this.options = openAIBackendOptionsSchema.parse(options);
    this.name = `openai:${this.options.baseUrl} ${this.options.model}`;
    this.slots = new Semaphore(this.options.maxConcurrent);
  }

  get grammar(): CandidateGrammar {
    return CONSTRAINT_FIELDS[this.constraintField]?.grammar ?? 'checked after sampling';
  }

  /**
   * A constrained request (`forbid`, `requireStop`, `regex`) is sent with its constraint as a regular expression in
   * the first field the server takes. A field the server refuses is not sent again; one it takes but does not apply
   * shows as a broken candidate (llama.cpp and Ollama drop fields they do not know), and is not sent again either.
   * Broken candidates, and only those, are drawn again, up to `redraws` times.
   */
  async generate(request: GenerationRequest, options: GenerateOptions = {}): Promise<GenerationResult> {
    const { prompt, images = [], sampling: asked } = generationRequestSchema.parse(request);
    const sampling = samplingSchema.parse(asked ?? {});
    const regex = sampling.regex ?? constraintRegex(sampling);
    const { result, field } = await this.drawConstrained(prompt, images, sampling, regex, options);
    if (regex === undefined) return result;
    const broken = (candidates: readonly Candidate[]) =>
      candidates.flatMap((candidate, index) => (brokenConstraint(candidate, sampling) === undefined ? [] : [index]));
    const candidates = [...result.candidates];
    let { tokensComputed } = result;
    let { generateMs } = result.timing;
    let used = field;
    for (let round = 1; ; round++) {
      const redo = broken(candidates);
      if (redo.length === 0) break;
      if (used < NO_FIELD) this.constraintField = Math.max(this.constraintField, used + 1);
      if (round > this.options.redraws || options.signal?.aborted) break;
      const seed = sampling.seed === undefined ? undefined : (sampling.seed + round * sampling.n) % 2 ** 32;
      const again = await this.drawConstrained(
        prompt,
        images,
        { ...sampling, n: redo.length, ...(seed !== undefined && { seed }) },
        regex,
        options.signal === undefined ? {} : { signal: options.signal },
      );
      redo.forEach((index, k) => {
        const redrawn = again.result.candidates[k];
        if (redrawn !== undefined && redrawn.finishReason !== 'cancelled') candidates[index] = redrawn;
      });
      used = again.field;
      tokensComputed += again.result.tokensComputed;
      generateMs += again.result.timing.generateMs;
    }
    return { ...result, candidates, tokensComputed, timing: { ...result.timing, generateMs } };
  }

  /** Sends the constraint in the field the server takes, moving on from each field it refuses; says which was sent. */
  private async drawConstrained(
    prompt: Prompt,
    images: readonly string[],
    sampling: Sampling,
    regex: string | undefined,
    options: GenerateOptions,
  ): Promise<{ result: GenerationResult; field: number }> {
    for (;;) {
      const field = regex === undefined ? NO_FIELD : this.constraintField;
      const sent = regex === undefined ? undefined : CONSTRAINT_FIELDS[field];
      try {
        return { result: await this.draw(prompt, images, sampling, sent === undefined || regex === undefined ? {} : sent.body(regex), options), field };
      } catch (error) {
        if (sent === undefined || !refusesField(error, sent.name)) throw error;
        this.constraintField = Math.max(this.constraintField, field + 1);
      }
    }
  }

  private async draw(
    prompt: Prompt,
    images: readonly string[],
    sampling: Sampling,
    constraint: Record<string, unknown>,
    { signal, onToken }: GenerateOptions,
  ): Promise<GenerationResult> {
    const call = buildCall(this.options.model, prompt, images, sampling);
    const attempt: Attempt = {
      url: `${this.options.baseUrl}${call.path}`,
      endpoint: call.endpoint,
      body: { ...call.body, ...constraint },
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
        // Sent as image parts; whether the served model reads them is the server's to say.
        imagesSeen: images.length,
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
