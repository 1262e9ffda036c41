import type { Candidate, GenerationResult } from '../protocol';
import type { Endpoint } from './requests';

/** What every body of one response shares. */
export interface ResponseContext {
  endpoint: Endpoint;
  id: string;
  created: number;
  model: string;
  logprobs: boolean;
}

/** vLLM's names: a stop string or end of sequence is `stop`, an aborted request `abort`. */
export function finishFields(candidate: Candidate): { finish_reason: string; stop_reason: string | null } {
  const reason = candidate.finishReason === 'length' ? 'length' : candidate.finishReason === 'cancelled' ? 'abort' : 'stop';
  return { finish_reason: reason, stop_reason: candidate.stopString ?? null };
}

/** Token texts are unknown here, so tokens are named by id the way vLLM's `return_tokens_as_token_ids` does. */
export function logprobsField(context: ResponseContext, candidate: Candidate): unknown {
  if (!context.logprobs) return null;
  const token = (index: number): string => {
    const id = candidate.tokens[index];
    return id === undefined ? '' : `token_id:${id}`;
  };
  if (context.endpoint === 'completions') {
    return { tokens: candidate.tokenLogprobs.map((_, index) => token(index)), token_logprobs: candidate.tokenLogprobs, top_logprobs: null };
  }
  return { content: candidate.tokenLogprobs.map((logprob, index) => ({ token: token(index), logprob, bytes: null, top_logprobs: [] })) };
}

export function usage(result: GenerationResult): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const completion = result.candidates.reduce((sum, candidate) => sum + candidate.tokens.length, 0);
  return { prompt_tokens: result.promptTokens.length, completion_tokens: completion, total_tokens: result.promptTokens.length + completion };
}

export function objectType(endpoint: Endpoint, streamed: boolean): string {
  if (endpoint === 'completions') return 'text_completion';
  return streamed ? 'chat.completion.chunk' : 'chat.completion';
}

/** A non-streamed answer; token ids ride along as vLLM's `token_ids` and `prompt_token_ids`. */
export function completionBody(context: ResponseContext, result: GenerationResult): unknown {
  return {
    id: context.id,
    object: objectType(context.endpoint, false),
    created: context.created,
    model: context.model,
    choices: result.candidates.map((candidate, index) => ({
      index,
      ...(context.endpoint === 'completions' ? { text: candidate.text } : { message: { role: 'assistant', content: candidate.text } }),
      logprobs: logprobsField(context, candidate),
      ...finishFields(candidate),
      token_ids: candidate.tokens,
    })),
    usage: usage(result),
    prompt_token_ids: result.promptTokens,
  };
}
