import type { ServerResponse } from 'node:http';
import type { GenerationResult, TokenEvent } from '../protocol';
import { StopHoldback } from './holdback';
import { finishFields, logprobsField, objectType, usage, type ResponseContext } from './responses';

/** Writes one generation as Server-Sent Events in the OpenAI chunk shape, ending with `data: [DONE]`. */
export class CompletionStream {
  private readonly holdbacks: StopHoldback[];
  private started = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly context: ResponseContext,
    n: number,
    stop: readonly string[],
    private readonly includeUsage: boolean,
  ) {
    this.holdbacks = Array.from({ length: n }, () => new StopHoldback(stop));
  }

  /**
   * Sent with the first text or the end, not when the request arrives, so a request that waited in line or
   * that the engine refused (a prompt too long) still gets an error status.
   */
  private start(): void {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    if (this.context.endpoint === 'chat') {
      this.holdbacks.forEach((_, index) => {
        this.send([{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
      });
    }
  }

  token(event: TokenEvent): void {
    this.start();
    const text = this.holdbacks[event.candidate]?.push(event.text) ?? '';
    if (text !== '') this.send([this.choice(event.candidate, text, { logprobs: null, finish_reason: null })]);
  }

  /** The rest of each candidate's text with its finish reason, log-probabilities and token ids; then usage if asked. */
  finish(result: GenerationResult): void {
    this.start();
    result.candidates.forEach((candidate, index) => {
      const rest = this.holdbacks[index]?.finish(candidate.text) ?? '';
      const choice = this.choice(index, rest, { logprobs: logprobsField(this.context, candidate), ...finishFields(candidate), token_ids: candidate.tokens });
      this.send([choice], index === 0 ? { prompt_token_ids: result.promptTokens } : {});
    });
    if (this.includeUsage) this.send([], { usage: usage(result) });
    this.end();
  }

  /** A failure after the stream began can only be told as an event of its own. */
  fail(message: string): void {
    this.write({ error: { message, type: 'internal_error', param: null, code: 500 } });
    this.end();
  }

  private choice(index: number, text: string, rest: Record<string, unknown>): Record<string, unknown> {
    return { index, ...(this.context.endpoint === 'completions' ? { text } : { delta: { content: text } }), ...rest };
  }

  private send(choices: unknown[], extra: Record<string, unknown> = {}): void {
    const { id, created, model, endpoint } = this.context;
    this.write({ id, object: objectType(endpoint, true), created, model, choices, ...extra });
  }

  private write(body: unknown): void {
    if (!this.res.destroyed) this.res.write(`data: ${JSON.stringify(body)}\n\n`);
  }

  private end(): void {
    if (this.res.destroyed) return;
    this.res.end('data: [DONE]\n\n');
  }
}
