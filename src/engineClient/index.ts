import { type ChildProcess, fork } from 'node:child_process';
import { ContextLengthError } from '../backends/promptLimits';
import {
  type EngineMethod,
  type EngineParams,
  type EngineResult,
  engineMessageSchema,
  engineResultSchemas,
  type TokenEvent,
} from '../protocol';

interface Pending {
  method: EngineMethod;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  onToken?: (event: TokenEvent) => void;
  /** Stops listening to the request's abort signal once it is settled (a search reuses one signal for many requests). */
  release?: () => void;
}

export interface RequestOptions {
  /** Streamed text of a generation. */
  onToken?: (event: TokenEvent) => void;
  /** Aborting a generation asks the engine to stop between two model calls; it resolves with what it has. */
  signal?: AbortSignal;
}

/**
 * Talks to the engine process. The process starts on the first request; if it dies, every waiting request
 * fails with the reason, `onExit` hears of it, and the next request starts a new one.
 */
export class EngineClient {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly exitListeners = new Set<(reason: string) => void>();

  constructor(
    /** Absolute path of the engine bundle (dist/engine.js). */
    private readonly enginePath: string,
    private readonly log: (line: string) => void,
  ) {}

  request<M extends EngineMethod>(method: M, ...[params, options]: EngineParams<M> extends undefined ? [undefined?, RequestOptions?] : [EngineParams<M>, RequestOptions?]): Promise<EngineResult<M>> {
    const child = this.ensureStarted();
    const id = this.nextId++;
    return new Promise<EngineResult<M>>((resolve, reject) => {
      const pending: Pending = { method, resolve: (result) => resolve(result as EngineResult<M>), reject };
      if (options?.onToken) pending.onToken = options.onToken;
      this.pending.set(id, pending);
      const signal = options?.signal;
      if (signal) {
        const cancel = () => {
          if (this.pending.has(id)) this.child?.send({ id: this.nextId++, method: 'cancel', params: { target: id } });
        };
        if (signal.aborted) queueMicrotask(cancel);
        else {
          signal.addEventListener('abort', cancel, { once: true });
          pending.release = () => signal.removeEventListener('abort', cancel);
        }
      }
      child.send(params === undefined ? { id, method } : { id, method, params }, (error) => {
        // A process that is going away fails its requests on exit, with the reason it stopped.
        if (error && child.connected) this.settle(id, undefined, new Error(`could not reach the engine process: ${error.message}`));
      });
    });
  }

  /** Hears of the process stopping unexpectedly (a crash, a kill), with the reason; what it loaded is gone. */
  onDidExit(listener: (reason: string) => void): { dispose(): void } {
    this.exitListeners.add(listener);
    return { dispose: () => this.exitListeners.delete(listener) };
  }

  /** The engine process's id while it runs. */
  get processId(): number | undefined {
    return this.child?.pid;
  }

  dispose(): void {
    const child = this.child;
    this.child = undefined;
    child?.kill();
  }

  private ensureStarted(): ChildProcess {
    if (this.child && this.child.exitCode === null && this.child.connected) return this.child;
    // Electron-based hosts run the same binary as plain Node with this variable set.
    const child = fork(this.enginePath, [], {
      execPath: process.execPath,
      execArgv: [],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    child.stdout?.on('data', (chunk: Buffer) => this.log(`[engine] ${chunk.toString().trimEnd()}`));
    child.stderr?.on('data', (chunk: Buffer) => this.log(`[engine] ${chunk.toString().trimEnd()}`));
    child.on('message', (raw: unknown) => this.receive(raw));
    child.on('exit', (code, signal) => {
      const expected = this.child !== child;
      if (!expected) this.child = undefined;
      const reason = signal ? `signal ${signal}` : `exit code ${code}`;
      if (!expected) {
        this.log(`The engine process stopped (${reason}); it restarts on the next request.`);
        for (const listener of this.exitListeners) listener(reason);
      }
      for (const id of [...this.pending.keys()]) this.settle(id, undefined, new Error(`the engine process stopped (${reason}); it restarts on the next request`));
    });
    this.child = child;
    return child;
  }

  private receive(raw: unknown): void {
    const parsed = engineMessageSchema.safeParse(raw);
    if (!parsed.success) {
      this.log(`Ignored an invalid message from the engine process: ${parsed.error.message}`);
      return;
    }
    const message = parsed.data;
    if ('event' in message) {
      this.pending.get(message.id)?.onToken?.(message.token);
      return;
    }
    if (!message.ok) {
      this.settle(message.id, undefined, message.code === 'context_length_exceeded' ? new ContextLengthError(message.error) : new Error(message.error));
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    const result = engineResultSchemas[pending.method].safeParse(message.result);
    if (result.success) this.settle(message.id, result.data);
    else this.settle(message.id, undefined, new Error(`the engine process sent an invalid ${pending.method} result: ${result.error.message}`));
  }

  private settle(id: number, result: unknown, error?: Error): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.release?.();
    if (error || result === undefined) pending.reject(error ?? new Error('the engine process sent no result'));
    else pending.resolve(result);
  }
}
