import { z } from 'zod';
import type { Endpoint } from './requestBody';

// What the servers stream. Fields no server is bound to send are optional; unknown fields are dropped.
const tokenIdsSchema = z.array(z.number().int()).nullish();
/** A string names the stop string that ended the choice (vLLM); a number is a stop token. */
const stopReasonSchema = z.union([z.string(), z.number()]).nullish();

const completionChoiceSchema = z.object({
  index: z.number().int().min(0),
  text: z.string(),
  logprobs: z.object({ token_logprobs: z.array(z.number().nullable()) }).nullish(),
  finish_reason: z.string().nullish(),
  stop_reason: stopReasonSchema,
  token_ids: tokenIdsSchema,
});

const chatChoiceSchema = z.object({
  index: z.number().int().min(0),
  delta: z.object({ content: z.string().nullish() }),
  logprobs: z.object({ content: z.array(z.object({ logprob: z.number() })).nullish() }).nullish(),
  finish_reason: z.string().nullish(),
  stop_reason: stopReasonSchema,
  token_ids: tokenIdsSchema,
});

const usageSchema = z.object({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0) });

const chunkFields = { usage: usageSchema.nullish(), prompt_token_ids: tokenIdsSchema };
const completionChunkSchema = z.object({ choices: z.array(completionChoiceSchema), ...chunkFields });
const chatChunkSchema = z.object({ choices: z.array(chatChoiceSchema), ...chunkFields });

/** Servers report a failure that happens after the stream has begun as an event of its own. */
const errorChunkSchema = z.object({ error: z.union([z.object({ message: z.string() }), z.string()]) });

/** One choice's part of a chunk, the same for both endpoints. */
export interface ChoiceDelta {
  index: number;
  text: string;
  logprobs: number[];
  tokenIds: number[];
  finishReason?: string;
  stopString?: string;
  /** vLLM's `stop_reason: null` beside `finish_reason: "stop"`: the end of the sequence, not a stop string, ended the choice. */
  endOfSequence?: true;
}

export interface Chunk {
  choices: ChoiceDelta[];
  usage?: { promptTokens: number; completionTokens: number };
  promptTokenIds?: number[];
}

/** Reads one event's data; throws, naming what was wrong, on an error event or a malformed chunk. */
export function readChunk(endpoint: Endpoint, data: string): Chunk {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new Error(`malformed response: an event is not JSON: ${data.slice(0, 200)}`);
  }
  const failure = errorChunkSchema.safeParse(json);
  if (failure.success) {
    const { error } = failure.data;
    throw new Error(`the server failed while streaming: ${typeof error === 'string' ? error : error.message}`);
  }
  const parsed = endpoint === 'completions' ? completionChunkSchema.safeParse(json) : chatChunkSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'chunk'}: ${issue.message}`).join('; ');
    throw new Error(`malformed response from the ${endpoint} endpoint: ${issues}`);
  }
  const { usage, prompt_token_ids: promptTokenIds } = parsed.data;
  const choices = parsed.data.choices.map((choice): ChoiceDelta => {
    const logprobs =
      'text' in choice
        ? (choice.logprobs?.token_logprobs ?? []).filter((value): value is number => value !== null)
        : (choice.logprobs?.content ?? []).map((entry) => entry.logprob);
    return {
      index: choice.index,
      text: 'text' in choice ? choice.text : (choice.delta.content ?? ''),
      logprobs,
      tokenIds: choice.token_ids ?? [],
      ...(choice.finish_reason != null && { finishReason: choice.finish_reason }),
      ...(typeof choice.stop_reason === 'string' && { stopString: choice.stop_reason }),
      ...(choice.finish_reason === 'stop' && choice.stop_reason === null && { endOfSequence: true as const }),
    };
  });
  return {
    choices,
    ...(usage != null && { usage: { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens } }),
    ...(promptTokenIds != null && { promptTokenIds }),
  };
}
