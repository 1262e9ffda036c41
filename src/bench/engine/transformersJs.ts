import * as path from 'node:path';
import type * as Transformers from '@huggingface/transformers';
import type { ModelFolder } from '../../engine/model/folder';
import type { ExecutionProvider } from '../../protocol';

/**
 * transformers.js is a development dependency that the bundle leaves out: it is required from the checkout's
 * node_modules when the bench runs, through a name the bundler does not follow.
 */
export function requireTransformers(): typeof Transformers {
  const name = '@huggingface/transformers';
  return require(name) as typeof Transformers;
}

/** transformers.js names the engine's `model_quantized.onnx` variant q8; the other names are shared. */
export const dtypeOf = (variant: ModelFolder['variant']): Transformers.PretrainedModelOptions['dtype'] => (variant === 'quantized' ? 'q8' : variant);

/** The same model folder loaded by transformers.js, for greedy generation from token ids. */
export class TransformersModel {
  private constructor(
    private readonly library: typeof Transformers,
    private readonly model: Transformers.PreTrainedModel,
  ) {}

  static async load(folder: ModelFolder, provider: ExecutionProvider): Promise<TransformersModel> {
    const library = requireTransformers();
    library.env.allowRemoteModels = false;
    library.env.localModelPath = path.dirname(folder.dir);
    // Its warnings would land on stdout, where --json prints the result.
    library.env.logLevel = library.LogLevel.ERROR;
    const model = await library.AutoModelForCausalLM.from_pretrained(folder.name, { dtype: dtypeOf(folder.variant), device: provider });
    return new TransformersModel(library, model);
  }

  /** Exactly `count` greedy tokens after the prompt: end-of-sequence tokens are not allowed to stop it early. */
  async greedy(prompt: readonly number[], count: number): Promise<{ tokens: number[]; ms: number }> {
    const { Tensor } = this.library;
    const dims = [1, prompt.length];
    const started = performance.now();
    const output = await this.model.generate({
      input_ids: new Tensor('int64', BigInt64Array.from(prompt, BigInt), dims),
      attention_mask: new Tensor('int64', new BigInt64Array(prompt.length).fill(1n), dims),
      max_new_tokens: count,
      min_new_tokens: count,
      do_sample: false,
    });
    const ms = performance.now() - started;
    if (!(output instanceof Tensor)) throw new Error('transformers.js generate() gave no token tensor');
    return { tokens: Array.from(output.data as BigInt64Array, Number).slice(prompt.length), ms };
  }

  dispose(): Promise<unknown> {
    return this.model.dispose();
  }
}
