import { type ChildProcess, fork } from 'node:child_process';
import { ContextLengthError } from '../backends/promptLimits';
import { type EngineMethod, type EngineParams, type EngineResult, engineMessageSchema, engineResultSchemas, type TokenEvent } from '../protocol';

interface Pending {
  method: EngineMethod;
  /** The process the request went to; only its exit fails the request. */
  child: ChildProcess;
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

export interface EngineClientOptions {
  /**
   * How long a generation or score may go without a word from the engine (a token, the start of a step, an
   * answer) before the process is stopped and the request fails.
   */
  deadlineMs?: number;
}

/** Long enough for the prompt of a small model to run on a CPU in one model call. */
export const DEFAULT_ENGINE_DEADLINE_MS = 120_000;

/**
 * Requests whose work depends on the prompt and the model's chat template, either of which can keep the
 * engine busy without end. Loading runs the provider's own session setup, which can take long for a big model.
 */
const WATCHED_METHODS: ReadonlySet<EngineMethod> = new Set(['generate', 'score']);

/**
 * Talks to the engine process. The process starts on the first request; if it dies, every waiting request
 * fails with the reason, `onExit` hears of it, and the next request starts a new one. A generation or score
 * that hears nothing from the engine for the deadline stops the process the same way: a chat template that
 * loops, or work that blocks it, cannot be cancelled from inside.
 */
export class EngineClient {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly exitListeners = new Set<(reason: string) => void>();
  private readonly deadlineMs: number;
  private watchdog: NodeJS.Timeout | undefined;
  /** The step the current process last said it was starting, until it answers. */
  private doing: string | undefined;

  constructor(
    /** Absolute path of the engine bundle (dist/engine.js). */
    private readonly enginePath: string,
    private readonly log: (line: string) => void,
    options: EngineClientOptions = {},
  ) {
    this.deadlineMs = options.deadlineMs ?? DEFAULT_ENGINE_DEADLINE_MS;
  }

  request<M extends EngineMethod>(
    method: M,
    ...[params, options]: EngineParams<M> extends undefined ? [undefined?, RequestOptions?] : [EngineParams<M>, RequestOptions?]
  ): Promise<EngineResult<M>> {
    const child = this.ensureStarted();
    const id = this.nextId++;
    return new Promise<EngineResult<M>>((resolve, reject) => {
      const pending: Pending = { method, child, resolve: (result) => resolve(result as EngineResult<M>), reject };
      if (options?.onToken) pending.onToken = options.onToken;
      this.pending.set(id, pending);
      const signal = options?.signal;
      if (signal) {
        const cancel = () => {
          if (this.pending.has(id) && child.connected) child.send({ id: this.nextId++, method: 'cancel', params: { target: id } });
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
      this.rewatch();
    });
  }

  /** Hears of the process stopping unexpectedly (a crash, a kill, a missed deadline), with the reason; what it loaded is gone. */
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
    this.rewatch();
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
    child.on('message', (raw: unknown) => this.receive(child, raw));
    child.on('exit', (code, signal) => {
      const reason = signal ? `signal ${signal}` : `exit code ${code}`;
      const message = `the engine process stopped (${reason}); it restarts on the next request`;
      if (this.child === child) this.lose(reason, message);
      this.failRequestsOf(child, message);
    });
    this.child = child;
    this.doing = undefined;
    return child;
  }

  /** Forgets the current process: what it loaded is gone, and the next request starts a new one. */
  private lose(reason: string, message: string): void {
    this.child = undefined;
    this.rewatch();
    this.log(`${message.charAt(0).toUpperCase()}${message.slice(1)}.`);
    for (const listener of this.exitListeners) listener(reason);
  }

  private failRequestsOf(child: ChildProcess, message: string): void {
    for (const [id, pending] of [...this.pending]) if (pending.child === child) this.settle(id, undefined, new Error(message));
  }

  /** Starts the deadline over while a watched request waits on the current process; stops it when none does. */
  private rewatch(): void {
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    const child = this.child;
    if (!child || ![...this.pending.values()].some((pending) => pending.child === child && WATCHED_METHODS.has(pending.method))) return;
    this.watchdog = setTimeout(() => this.stall(child), this.deadlineMs);
  }

  private stall(child: ChildProcess): void {
    const doing = this.doing === undefined ? '' : ` while ${this.doing}`;
    const reason = `it did not answer within ${this.deadlineMs / 1000} s${doing}`;
    const message = `the engine did not answer within ${this.deadlineMs / 1000} s${doing}; it was stopped and restarts on the next request`;
    this.lose(reason, message);
    this.failRequestsOf(child, message);
    child.kill('SIGKILL');
  }

  private receive(child: ChildProcess, raw: unknown): void {
    const parsed = engineMessageSchema.safeParse(raw);
    if (!parsed.success) {
      this.log(`Ignored an invalid message from the engine process: ${parsed.error.message}`);
      return;
    }
    const message = parsed.data;
    // Any word from the current process is progress: the deadline starts over.
    if (child === this.child) {
      this.doing = 'event' in message ? (message.event === 'progress' ? message.doing : 'generating') : undefined;
      this.rewatch();
    }
    if ('event' in message) {
      if (message.event === 'token') this.pending.get(message.id)?.onToken?.(message.token);
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
    this.rewatch();
    if (error || result === undefined) pending.reject(error ?? new Error('the engine process sent no result'));
    else pending.resolve(result);
  }
}
