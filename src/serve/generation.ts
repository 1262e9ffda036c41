import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { ContextLengthError, refuseOversizedPrompt } from '../backends/promptLimits';
import type { Backend } from '../backends/types';
import { ApiError, contextLengthExceeded, sendError, sendJson } from './reply';
import { type GenerationQueue, QueueFullError } from './queue';
import { promptField, type ParsedRequest } from './requests';
import { completionBody, type ResponseContext } from './responses';
import { CompletionStream } from './stream';
import { errorMessage } from '../errors/message';

export interface GenerationContext {
  backend: Backend;
  queue: GenerationQueue;
  modelName: string;
  /** Generations in flight or waiting, so closing the server can abort them. */
  live: Set<AbortController>;
}

/** Runs a validated request through the queue and answers it, streamed or whole. */
export async function serveGeneration(request: ParsedRequest, res: ServerResponse, context: GenerationContext): Promise<void> {
  const controller = new AbortController();
  // A client that goes away no longer wants its candidates: free the GPU for the next request.
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const response: ResponseContext = {
    endpoint: request.endpoint,
    id: `${request.endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`,
    created: Math.floor(Date.now() / 1000),
    model: context.modelName,
    logprobs: request.logprobs,
  };
  const stream = request.stream ? new CompletionStream(res, response, request.generation.sampling?.n ?? 1, request.stop, request.includeUsage) : undefined;
  context.live.add(controller);
  try {
    // A prompt that cannot fit is refused here, before it waits in line or travels to the engine.
    const limits = await context.backend.promptLimits?.();
    if (limits !== undefined) refuseOversizedPrompt(request.generation.prompt, limits, context.modelName);
    const result = await context.queue.run(controller.signal, () =>
      context.backend.generate(request.generation, {
        signal: controller.signal,
        ...(stream !== undefined && { onToken: (event) => stream.token(event) }),
      }),
    );
    if (result === undefined) return;
    if (stream !== undefined) stream.finish(result);
    else sendJson(res, 200, completionBody(response, result));
  } catch (error) {
    if (error instanceof QueueFullError) {
      sendError(res, new ApiError(503, `the server is busy: ${error.message}`, 'server_overloaded', null, { 'retry-after': '1' }));
      return;
    }
    if (error instanceof ContextLengthError && !res.headersSent) {
      sendError(res, contextLengthExceeded(error.message, promptField(request.endpoint)));
      return;
    }
    const message = errorMessage(error);
    if (res.headersSent) stream?.fail(message);
    else sendError(res, new ApiError(500, message, 'internal_error'));
  } finally {
    context.live.delete(controller);
  }
}
