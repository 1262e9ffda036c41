import { randomInt } from 'node:crypto';
import type * as Ort from 'onnxruntime-node';
import { ContextLengthError, refuseOversizedPrompt } from '../backends/promptLimits';
import type { Backend, GenerateOptions, GenerationRequest } from '../backends/types';
import { type ExecutionProvider, type GenerationResult, generationRequestSchema, type Prompt, type PromptLimits, samplingSchema } from '../protocol';
import { Forward } from './decode/forward';
import { decode, prefill } from './decode/generate';
import { PrefixCache } from './decode/prefixCache';
import { logNormaliser } from './decode/sampler';
import { type ModelFolder, type ModelVariant, readModelFolder } from './model/folder';
import { createModelSession, type DecoderShape, type ProviderAttempt, readDecoderShape } from './model/session';
import { ModelTokenizer } from './model/tokenizer';
import type { ImagePrompt } from './vision/imagePromptForward';
import { loadVisionImages } from './vision/loadVision';
import type { VisionImages } from './vision/visionImages';

export interface LoadOptions {
  provider?: ExecutionProvider | 'auto';
  variant?: ModelVariant;
  /** Memory bound of the prefix cache; 0 turns it off. */
  prefixCacheBytes?: number;
}

export const DEFAULT_PREFIX_CACHE_BYTES = 1024 ** 3;

/** Reports each step of a request as it starts, so a watcher can tell what the engine was doing when it stalled. */
export type ProgressListener = (doing: string) => void;

export interface LocalGenerateOptions extends GenerateOptions {
  onProgress?: ProgressListener;
}

/** A prompt as the decoder runs it: its tokens (each image's expanded), what the prefix cache knows them by, and the images seen. */
export interface PreparedPrompt {
  tokens: number[];
  cacheKey: number[];
  imagesSeen: number;
  /** A vision-language model's image features and 3-D positions for the tokens; undefined without images. */
  image?: ImagePrompt;
}

/**
 * A loaded model and its decoding state, in this process: the engine process runs one for the editor, the CLI and
 * `serve` (who reach it through EngineProcessBackend); benches and tests drive it directly.
 */
export class LocalEngine implements Backend {
  readonly grammar = 'token mask';
  readonly name: string;
  /** Generations run one at a time: one session, one device. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    readonly folder: ModelFolder,
    readonly tokenizer: ModelTokenizer,
    private readonly forward: Forward,
    /** A vision-language model's encoder and prompt expansion; undefined for a text model, which does not see images. */
    private readonly images: VisionImages<unknown> | undefined,
    readonly cache: PrefixCache | undefined,
    readonly provider: ExecutionProvider,
    readonly attempts: ProviderAttempt[],
    readonly loadMs: number,
  ) {
    // Not `local:`, which names the model the engine process runs for the editor and the CLI.
    this.name = `in-process:${folder.name}`;
  }

  static async load(dir: string, options: LoadOptions = {}): Promise<LocalEngine> {
    const started = performance.now();
    const folder = readModelFolder(dir, options.variant);
    const tokenizer = new ModelTokenizer(folder);
    const ort = (await import('onnxruntime-node')) as typeof Ort;
    // Providers that fail are reported with their reason; onnxruntime's own log would repeat it on stderr.
    ort.env.logLevel = 'fatal';
    const { session, provider, attempts } = await createModelSession(ort, folder.modelFile, options.provider ?? 'auto');
    let images: VisionImages<unknown> | undefined;
    try {
      const shape = readDecoderShape(session, folder, folder.vision ? 'embeddings' : 'tokens');
      images = folder.vision ? await loadVisionImages({ ort, folder, vision: folder.vision, decoder: session, shape, provider }) : undefined;
      const forward = images?.forward ?? new Forward(ort, session, shape);
      const bytes = options.prefixCacheBytes ?? DEFAULT_PREFIX_CACHE_BYTES;
      const cache = bytes > 0 ? new PrefixCache(bytes) : undefined;
      const tried = [...attempts, ...(images?.attempts ?? [])];
      return new LocalEngine(ort, session, folder, tokenizer, forward, images, cache, provider, tried, performance.now() - started);
    } catch (error) {
      await images?.release();
      await session.release();
      throw error;
    }
  }

  /** Whether the model sees a request's images (a vision-language model) or reads the text alone. */
  get seesImages(): boolean {
    return this.images !== undefined;
  }

  /** A vision-language model's image side (processor, encoder, prompt expansion), for a bench that times its parts. */
  get vision(): VisionImages<unknown> | undefined {
    return this.images;
  }

  /** The request's prompt as the decoder would run it, for a baseline that runs the model without the engine. */
  prepare(request: GenerationRequest): Promise<PreparedPrompt> {
    const { prompt, images = [] } = generationRequestSchema.parse(request);
    const run = this.queue.then(() => this.preparePrompt(prompt, images));
    this.queue = run.catch(() => undefined);
    return run;
  }

  get shape(): DecoderShape {
    return this.forward.shape;
  }

  get limits(): PromptLimits {
    return { contextTokens: this.folder.config.max_position_embeddings, maxTokenBytes: this.tokenizer.maxTokenBytes };
  }

  promptLimits(): Promise<PromptLimits> {
    return Promise.resolve(this.limits);
  }

  /** Tokens the prompt renders to, as the model will see them (a vision-language model's image placeholders not yet expanded). */
  promptTokens(request: GenerationRequest): number[] {
    const { prompt, images } = generationRequestSchema.parse(request);
    return this.encodePrompt(prompt, this.images ? (images?.length ?? 0) : 0);
  }

  /**
   * A prompt too large for the context is refused from its size before the template or the tokenizer sees it,
   * and from its token count before any model run. Each step is reported as it starts, for a watcher's deadline.
   */
  private encodePrompt(prompt: Prompt, images: number, onProgress?: ProgressListener): number[] {
    return this.tokenize(this.renderPrompt(prompt, images, onProgress), onProgress);
  }

  /** The prompt's text as the model's chat template writes it, a part per image for a vision-language model. */
  private renderPrompt(prompt: Prompt, images: number, onProgress?: ProgressListener): string {
    refuseOversizedPrompt(prompt, this.limits, this.folder.name);
    const template = this.tokenizer.chatTemplateFile;
    if ('messages' in prompt && template !== undefined) onProgress?.(`rendering the chat template of ${template}`);
    // Multimodal templates read every message's content as a list of parts, as their processors give it.
    return this.tokenizer.render(prompt, images, this.images !== undefined);
  }

  private tokenize(text: string, onProgress?: ProgressListener): number[] {
    onProgress?.(`tokenising a prompt of ${Buffer.byteLength(text)} bytes`);
    const tokens = this.tokenizer.encode(text);
    this.refuseOverContext(tokens.length);
    return tokens;
  }

  private refuseOverContext(length: number): void {
    const context = this.limits.contextTokens ?? Infinity;
    // Positions past the model's context are undefined (or out of range for learned position tables).
    if (length >= context)
      throw new ContextLengthError(`the prompt has ${length} tokens; ${this.folder.name} reads at most ${context} (max_position_embeddings)`);
  }

  /**
   * The prompt as the decoder runs it. A vision-language model encodes the images (the request's, in order) once
   * for all its candidates, expands their placeholders and keys the prefix cache on them; a text model reads the
   * text alone, as it always has.
   */
  private async preparePrompt(prompt: Prompt, images: readonly string[], onProgress?: ProgressListener): Promise<PreparedPrompt> {
    const vision = this.images;
    if (!vision) {
      const tokens = this.encodePrompt(prompt, 0, onProgress);
      onProgress?.(`running the model on a prompt of ${tokens.length} tokens`);
      return { tokens, cacheKey: tokens, imagesSeen: 0 };
    }
    const text = this.renderPrompt(prompt, images.length, onProgress);
    if (images.length > 0) onProgress?.(`encoding ${images.length} image${images.length === 1 ? '' : 's'}`);
    const prepared = vision.prompt(text, (written) => this.tokenize(written, onProgress), await vision.encode(images));
    this.refuseOverContext(prepared.ids.length);
    onProgress?.(`running the model on a prompt of ${prepared.ids.length} tokens`);
    return { tokens: prepared.ids, cacheKey: prepared.cacheKey, imagesSeen: images.length, ...(prepared.image ? { image: prepared.image } : {}) };
  }

  generate(request: GenerationRequest, options: LocalGenerateOptions = {}): Promise<GenerationResult> {
    const run = this.queue.then(() => this.generateNow(request, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async generateNow(request: GenerationRequest, options: LocalGenerateOptions): Promise<GenerationResult> {
    const { prompt, images = [], sampling: given, contextOverflow } = generationRequestSchema.parse(request);
    const asked = samplingSchema.parse(given ?? {});
    const { tokens: promptTokens, cacheKey, imagesSeen } = await this.preparePrompt(prompt, images, options.onProgress);
    const context = this.limits.contextTokens ?? Infinity;
    if (contextOverflow === 'refuse' && promptTokens.length + asked.maxTokens > context) {
      throw new ContextLengthError(
        `the prompt has ${promptTokens.length} tokens and ${asked.maxTokens} more were asked for; ${this.folder.name} reads at most ${context} (max_position_embeddings)`,
      );
    }
    const sampling = { ...asked, maxTokens: Math.min(asked.maxTokens, context - promptTokens.length) };
    const seed = sampling.seed ?? randomInt(0, 2 ** 31);
    const output = await decode(this.ort, this.forward, this.cache, {
      promptTokens,
      cacheKey,
      sampling,
      seed,
      eosIds: this.tokenizer.eosIds,
      detokenize: (tokens) => this.tokenizer.decode(tokens),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onToken ? { onToken: options.onToken } : {}),
    });
    return {
      promptTokens,
      candidates: output.candidates,
      ep: this.provider,
      model: this.folder.name,
      seed,
      timing: { loadMs: this.loadMs, generateMs: output.generateMs },
      tokensComputed: output.tokensComputed,
      imagesSeen,
    };
  }

  /**
   * The log-probability of each of `tokens` (texts of single tokens) coming next after the prompt: how a
   * causal-LM process reward model (Math-Shepherd style: `+` / `-` after a step tag) scores a step.
   */
  async nextTokenLogprobs(prompt: Prompt, tokens: readonly string[], onProgress?: ProgressListener, images: readonly string[] = []): Promise<number[]> {
    const ids = tokens.map((token) => {
      const encoded = this.tokenizer.encode(token);
      if (encoded.length !== 1) throw new Error(`'${token}' is ${encoded.length} tokens for ${this.folder.name}; a reward token must be one`);
      return encoded[0] as number;
    });
    const run = this.queue.then(async () => {
      const prepared = await this.preparePrompt(prompt, images, onProgress);
      const logits = (await prefill(this.ort, this.forward, this.cache, prepared.tokens, prepared.cacheKey)).lastLogits[0] as Float32Array;
      const normaliser = logNormaliser(logits);
      return ids.map((id) => (logits[id] as number) - normaliser);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async dispose(): Promise<void> {
    await this.queue;
    this.cache?.clear();
    await this.images?.release();
    await this.session.release();
  }
}
