import { type ChildProcess, fork } from 'node:child_process';
import type { EngineMethod, EngineResponse, EngineStatus } from '../protocol';
import { engineResponseSchema } from '../protocol';

interface Pending {
  resolve: (status: EngineStatus) => void;
  reject: (error: Error) => void;
}

/**
 * Talks to the engine process. The process starts on the first request; if it dies, every waiting request
 * fails with the reason and the next request starts a new one.
 */
export class EngineClient {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    /** Absolute path of the engine bundle (dist/engine.js). */
    private readonly enginePath: string,
    private readonly log: (line: string) => void,
  ) {}

  request(method: EngineMethod): Promise<EngineStatus> {
    const child = this.ensureStarted();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      child.send({ id, method }, (error) => {
        if (error) this.settle(id, undefined, new Error(`could not reach the engine process: ${error.message}`));
      });
    });
  }

  /** The engine process's id while it runs. */
  get processId(): number | undefined {
    return this.child?.pid;
  }

  dispose(): void {
    this.child?.kill();
    this.child = undefined;
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
      if (this.child === child) this.child = undefined;
      const reason = signal ? `signal ${signal}` : `exit code ${code}`;
      if (this.pending.size > 0 || code !== 0) this.log(`The engine process stopped (${reason}); it restarts on the next request.`);
      for (const id of [...this.pending.keys()]) this.settle(id, undefined, new Error(`the engine process stopped (${reason})`));
    });
    this.child = child;
    return child;
  }

  private receive(raw: unknown): void {
    const parsed = engineResponseSchema.safeParse(raw);
    if (!parsed.success) {
      this.log(`Ignored an invalid message from the engine process: ${parsed.error.message}`);
      return;
    }
    const response: EngineResponse = parsed.data;
    if (response.ok) this.settle(response.id, response.result);
    else this.settle(response.id, undefined, new Error(response.error));
  }

  private settle(id: number, result: EngineStatus | undefined, error?: Error): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (error || !result) pending.reject(error ?? new Error('the engine process sent no result'));
    else pending.resolve(result);
  }
}
