import type { Prompt } from '../protocol';

/** A prompt longer than the model reads; refused before any model run (an HTTP server answers it with 400). */
export class PromptTooLongError extends Error {}

/** How much a model reads: its positions, and a bound on the bytes of text one token covers. */
export interface ContextLimit {
  model: string;
  /** max_position_embeddings; Infinity when config.json does not give it. */
  positions: number;
  maxTokenBytes: number;
}

/** The bytes of text a prompt holds before a chat template adds its markers. */
export function promptBytes(prompt: Prompt): number {
  return 'text' in prompt ? Buffer.byteLength(prompt.text) : prompt.messages.reduce((sum, message) => sum + Buffer.byteLength(message.content), 0);
}

/**
 * Refuses a prompt whose size alone shows it cannot fit, before it is rendered or tokenised: tokenising tens
 * of megabytes takes most of a minute and gigabytes of memory only to find it far too long.
 */
export function checkPromptBytes(prompt: Prompt, limit: ContextLimit): void {
  const bytes = promptBytes(prompt);
  const most = limit.positions * limit.maxTokenBytes;
  if (bytes > most) {
    throw new PromptTooLongError(
      `the prompt is ${bytes} bytes, more than ${limit.model} can read: at most ${limit.positions} tokens (max_position_embeddings) of at most ${limit.maxTokenBytes} bytes each (its longest token), ${most} bytes`,
    );
  }
}

/** Refuses a prompt of `count` tokens that does not fit the context. */
export function checkPromptTokens(count: number, limit: ContextLimit): void {
  if (count > limit.positions) throw new PromptTooLongError(`the prompt has ${count} tokens; ${limit.model} reads at most ${limit.positions} (max_position_embeddings)`);
}

/**
 * How many tokens a generation after a prompt of `count` tokens may produce: the `asked` maxTokens (or the
 * default), cut to what fits in the context; generation ends at the context as it would at maxTokens.
 */
export function tokensToGenerate(count: number, asked: number | undefined, byDefault: number, limit: ContextLimit): number {
  const room = limit.positions - count;
  if (room < 1) throw new PromptTooLongError(`the prompt has ${count} tokens; ${limit.model} reads at most ${limit.positions} (max_position_embeddings), which leaves no room to generate`);
  return Math.min(asked ?? byDefault, room);
}
