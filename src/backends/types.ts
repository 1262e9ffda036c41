import type { GenerationRequest, GenerationResult, PromptLimits, TokenEvent } from '../protocol';

export type { GenerationRequest };

export interface GenerateOptions {
  /** Aborting ends every candidate with finishReason `cancelled` and resolves with what was decoded. */
  signal?: AbortSignal;
  /** Called for each piece of decoded text, per candidate, as it arrives. */
  onToken?: (event: TokenEvent) => void;
}

/**
 * How candidates keep their segment's markup: drawn under a token mask (the local engine), drawn under a regular
 * expression the server applies (vLLM's `structured_outputs`, `guided_regex` before it, SGLang's `regex`), or
 * sampled freely, checked afterwards and drawn again.
 */
export type CandidateGrammar = 'token mask' | 'structured_outputs regex' | 'guided_regex' | 'regex (SGLang)' | 'checked after sampling';

/** Where candidates come from: the local ONNX engine or an OpenAI-compatible server. */
export interface Backend {
  /** Names the backend and model in provenance, e.g. `local:tiny-bigram` or `openai:http://host/v1 qwen2-vl`. */
  readonly name: string;
  /**
   * How a candidate keeps its segment's markup (`sampling.forbid`, `requireStop`), as provenance says. A server's
   * answer is known once it has been sent a constraint, so read this after generating.
   */
  readonly grammar?: CandidateGrammar;
  /** Rejects with a ContextLengthError when the prompt, with the tokens asked for, does not fit the model. */
  generate(request: GenerationRequest, options?: GenerateOptions): Promise<GenerationResult>;
  /** The model's prompt limits, for a backend that knows them. */
  promptLimits?(): Promise<PromptLimits>;
  dispose(): Promise<void>;
}
