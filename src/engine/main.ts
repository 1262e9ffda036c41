// The engine process: runs onnxruntime-node away from the extension host, because a session's run()
// blocks its thread and a native crash must not take the editor down with it.
import { ContextLengthError } from '../backends/promptLimits';
import { type EngineMessage, type EngineRequest, engineRequestSchema, type LoadedModel, type ModelSlot } from '../protocol';
import { LocalEngine } from './localEngine';
import { modelVariantSchema } from './model/folder';
import { readEngineStatus } from './status';
import { errorMessage } from '../errors/message';

function send(message: EngineMessage): void {
  process.send?.(message);
}

const engines = new Map<ModelSlot, LocalEngine>();
/** Generations in flight by request id, so a cancel can reach them between two model calls. */
const running = new Map<number, AbortController>();

/**
 * Tells the host what a request is doing as each step starts. A step that blocks this thread (a chat template
 * that never ends) cannot say so later; the host stops the process and names the last step it heard of.
 */
const progress =
  (id: number) =>
  (doing: string): void =>
    send({ id, event: 'progress', doing });

function describe(loaded: LocalEngine): LoadedModel {
  const shape = loaded.shape;
  return {
    dir: loaded.folder.dir,
    name: loaded.folder.name,
    file: loaded.folder.modelFile,
    provider: loaded.provider,
    attempts: loaded.attempts,
    loadMs: loaded.loadMs,
    layers: shape.layers,
    kvHeads: shape.kvHeads,
    headDim: shape.headDim,
    kvType: shape.kvType,
    limits: loaded.limits,
    ...(loaded.folder.vision
      ? { vision: { family: loaded.folder.vision.family, encoderFile: loaded.folder.vision.encoderFile, embedFile: loaded.folder.vision.embedFile } }
      : {}),
  };
}

async function handle(request: EngineRequest): Promise<unknown> {
  switch (request.method) {
    case 'status':
      return readEngineStatus();
    case 'load': {
      const { slot, model, provider, variant, prefixCacheBytes } = request.params;
      const previous = engines.get(slot);
      engines.delete(slot);
      await previous?.dispose();
      const loaded = await LocalEngine.load(model, {
        provider,
        variant: modelVariantSchema.parse(variant),
        ...(prefixCacheBytes === undefined ? {} : { prefixCacheBytes }),
      });
      engines.set(slot, loaded);
      return describe(loaded);
    }
    case 'generate': {
      const engine = engines.get('policy');
      if (!engine) throw new Error('no model is loaded; load one first');
      const controller = new AbortController();
      running.set(request.id, controller);
      try {
        return await engine.generate(request.params, {
          signal: controller.signal,
          onToken: (token) => send({ id: request.id, event: 'token', token }),
          onProgress: progress(request.id),
        });
      } finally {
        running.delete(request.id);
      }
    }
    case 'score': {
      const engine = engines.get(request.params.slot);
      if (!engine) throw new Error(`no ${request.params.slot} model is loaded; load one first`);
      const { prompt, tokens, images = [] } = request.params;
      return { logprobs: await engine.nextTokenLogprobs(prompt, tokens, progress(request.id), images) };
    }
    case 'cancel': {
      const target = running.get(request.params.target);
      target?.abort();
      return { cancelled: target !== undefined };
    }
  }
}

process.on('message', (raw: unknown) => {
  const parsed = engineRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const id = typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'number' ? raw.id : -1;
    send({ id, ok: false, error: `invalid request: ${parsed.error.message}` });
    return;
  }
  const request = parsed.data;
  handle(request).then(
    (result) => send({ id: request.id, ok: true, result }),
    (error: unknown) =>
      send({
        id: request.id,
        ok: false,
        error: errorMessage(error),
        ...(error instanceof ContextLengthError && { code: 'context_length_exceeded' as const }),
      }),
  );
});

// The host closing the channel means it is gone; nothing is left to serve.
process.on('disconnect', () => process.exit(0));
