import type { PromptLimits } from '../protocol';

/** A prompt as given, before its defaults are filled in. */
type PromptText = { text: string } | { messages: ReadonlyArray<{ content: string }> };

/** The prompt, with the tokens asked for, does not fit in the model's context. */
export class ContextLengthError extends Error {}

/** UTF-8 bytes of the prompt's text: the text, or the messages' contents (a chat template only adds to them). */
export function promptBytes(prompt: PromptText): number {
  if ('text' in prompt) return Buffer.byteLength(prompt.text);
  return prompt.messages.reduce((sum, message) => sum + Buffer.byteLength(message.content), 0);
}

/**
 * Refuses a prompt too long to fit whatever its tokens: each token stands for at most `maxTokenBytes`
 * bytes, so more than `contextTokens × maxTokenBytes` bytes is more tokens than the context holds. Checked
 * before tokenising, which for a prompt of many megabytes takes seconds and gigabytes.
 */
export function refuseOversizedPrompt(prompt: PromptText, limits: PromptLimits, model: string): void {
  const { contextTokens, maxTokenBytes } = limits;
  if (contextTokens === undefined || maxTokenBytes === undefined) return;
  const bytes = promptBytes(prompt);
  if (bytes > contextTokens * maxTokenBytes) {
    throw new ContextLengthError(
      `the prompt is ${bytes} bytes, more than ${model}'s context of ${contextTokens} tokens can hold (a token is at most ${maxTokenBytes} bytes)`,
    );
  }
}
