import type { GenerationRequest, GenerationResult, PromptLimits, TokenEvent } from '../protocol';

export type { GenerationRequest };

export interface GenerateOptions {
  /** Aborting ends every candidate with finishReason `cancelled` and resolves with what was decoded. */
  signal?: AbortSignal;
  /** Called for each piece of decoded text, per candidate, as it arrives. */
  onToken?: (event: TokenEvent) => void;
}

/** Where candidates come from: the local ONNX engine or an OpenAI-compatible server. */
export interface Backend {
  /** Names the backend and model in provenance, e.g. `local:tiny-bigram` or `openai:http://host/v1 qwen2-vl`. */
  readonly name: string;
  /** Rejects with a ContextLengthError when the prompt, with the tokens asked for, does not fit the model. */
  generate(request: GenerationRequest, options?: GenerateOptions): Promise<GenerationResult>;
  /** The model's prompt limits, for a backend that knows them. */
  promptLimits?(): Promise<PromptLimits>;
  dispose(): Promise<void>;
}
