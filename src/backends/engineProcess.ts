import type { EngineClient } from '../engineClient';
import type { GenerationResult, LoadedModel, LoadRequest, Prompt, PromptLimits } from '../protocol';
import type { Backend, GenerateOptions, GenerationRequest } from './types';

/**
 * The local ONNX model, run by the engine process. The model is loaded on first use and again after the
 * process was restarted (a crash, a kill) or the settings named another model.
 */
export class EngineProcessBackend implements Backend {
  readonly grammar = 'token mask';
  private loaded: Promise<LoadedModel> | undefined;
  private readonly exitSubscription: { dispose(): void };

  constructor(
    private readonly engine: EngineClient,
    private readonly load: LoadRequest,
  ) {
    this.exitSubscription = engine.onDidExit(() => {
      this.loaded = undefined;
    });
  }

  get name(): string {
    return `local:${this.load.model}`;
  }

  /** Loads the model if it is not loaded; resolves with where it runs. */
  model(): Promise<LoadedModel> {
    if (!this.loaded) {
      const loading = this.engine.request('load', this.load);
      this.loaded = loading;
      loading.catch(() => {
        if (this.loaded === loading) this.loaded = undefined;
      });
    }
    return this.loaded;
  }

  async generate(request: GenerationRequest, options: GenerateOptions = {}): Promise<GenerationResult> {
    if (this.load.slot === 'reward') throw new Error('a reward model scores; it does not generate');
    await this.model();
    return this.engine.request('generate', request, options);
  }

  async promptLimits(): Promise<PromptLimits> {
    return (await this.model()).limits;
  }

  /** Log-probabilities of single tokens after a prompt; with the reward slot, a process reward model's step scores. */
  async nextTokenLogprobs(prompt: Prompt, tokens: string[], images: readonly string[] = []): Promise<number[]> {
    await this.model();
    return (await this.engine.request('score', { slot: this.load.slot ?? 'policy', prompt, tokens, ...(images.length > 0 && { images: [...images] }) }))
      .logprobs;
  }

  async dispose(): Promise<void> {
    this.exitSubscription.dispose();
  }
}
