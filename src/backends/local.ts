import type { EngineClient } from '../engineClient';
import type { GenerationResult, LoadedModel, LoadRequest } from '../protocol';
import type { Backend, GenerateOptions, GenerationRequest } from './types';

/**
 * The local ONNX model, run by the engine process. The model is loaded on first use and again after the
 * process was restarted (a crash, a kill) or the settings named another model.
 */
export class LocalBackend implements Backend {
  private loaded: Promise<LoadedModel> | undefined;

  constructor(
    private readonly engine: EngineClient,
    private readonly load: LoadRequest,
  ) {
    engine.onExit = () => {
      this.loaded = undefined;
    };
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
    await this.model();
    return this.engine.request('generate', request, options);
  }

  async dispose(): Promise<void> {
    this.engine.onExit = undefined;
  }
}
