import * as path from 'node:path';
import * as vscode from 'vscode';
import { EngineProcessBackend } from '../backends/engineProcess';
import { OpenAICompatibleBackend } from '../backends/openai';
import type { Backend } from '../backends/types';
import type { EngineClient } from '../engineClient';
import type { LoadedModel } from '../protocol';
import { type RewardModelAccess, rewardModelFormatSchema } from '../search/scorers';
import { type BackendSettings, readBackendSettings, readServerLimits } from './settings';
import type { CollectiveServer } from '../settings/schema';
import { readSetting } from '../settings/reader';

const API_KEY_SECRET = 'cotStudio.openai.apiKey';
/** A bigram model of the sample datasets, built with the bundles (esbuild.js) so regeneration works out of the box. */
const BUNDLED_MODEL = 'dist/models/tiny-bigram';

/**
 * The backend regeneration uses, as the settings describe it: the local engine (a bundled sample model by
 * default) or an OpenAI-compatible server. Rebuilt when the settings change; the API key lives in secret
 * storage, never in settings.
 */
export class GenerationService implements vscode.Disposable {
  private current: { key: string; backend: Backend } | undefined;
  private reward: { key: string; backend: EngineProcessBackend } | undefined;
  /** Servers of the tree search's collective, by address and model. */
  private readonly servers = new Map<string, Backend>();
  private readonly changed = new vscode.EventEmitter<LoadedModel | undefined>();
  /** Fires when a local model has loaded (with where it runs) or the backend was replaced (undefined). */
  readonly onDidChangeModel = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly engine: EngineClient,
  ) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (
          event.affectsConfiguration('cotStudio.backend') ||
          event.affectsConfiguration('cotStudio.engine') ||
          event.affectsConfiguration('cotStudio.openai')
        ) {
          void this.replace();
        }
      }),
      context.secrets.onDidChange((event) => {
        if (event.key === API_KEY_SECRET) void this.replace();
      }),
      this.changed,
    );
  }

  settings(): BackendSettings {
    return readBackendSettings(this.context.asAbsolutePath(BUNDLED_MODEL));
  }

  /** Whether regeneration runs on the sample model that ships with the extension: a toy whose text is placeholder, and which gives no verdicts. */
  usesSampleModel(): boolean {
    const settings = this.settings();
    return settings.kind === 'local' && path.resolve(settings.local.model) === this.context.asAbsolutePath(BUNDLED_MODEL);
  }

  /** The backend for the current settings, built on first use. */
  async backend(): Promise<Backend> {
    const settings = this.settings();
    const key = JSON.stringify(settings);
    if (this.current?.key === key) return this.current.backend;
    await this.replace();
    const backend =
      settings.kind === 'local'
        ? new EngineProcessBackend(this.engine, settings.local)
        : new OpenAICompatibleBackend({ ...settings.openai, ...(await this.apiKey()) });
    this.current = { key, backend };
    return backend;
  }

  /**
   * The tree search's collective: the generation backend plus the servers of `cotStudio.mcts.policies`, and
   * the step judges of `cotStudio.mcts.judges` with their weights (the generation backend alone by default).
   */
  async collective(): Promise<{ policies: Backend[]; judges: Array<{ backend: Backend; weight: number }> }> {
    const main = await this.backend();
    const server = (entry: CollectiveServer) => this.server(entry);
    const policies = [main, ...(await Promise.all(readSetting('mcts.policies').map(server)))];
    const judgeServers = readSetting('mcts.judges');
    const judges =
      judgeServers.length === 0
        ? [{ backend: main, weight: 1 }]
        : await Promise.all(judgeServers.map(async (entry) => ({ backend: await server(entry), weight: entry.weight })));
    return { policies, judges };
  }

  /** A server besides the generation backend (a policy or judge of the collective, the pre-labels' judge), built once. */
  async server(entry: Pick<CollectiveServer, 'baseUrl' | 'model'>): Promise<Backend> {
    const key = JSON.stringify([entry.baseUrl, entry.model]);
    let backend = this.servers.get(key);
    if (!backend) {
      backend = new OpenAICompatibleBackend({ baseUrl: entry.baseUrl, model: entry.model, ...readServerLimits(), ...(await this.apiKey()) });
      this.servers.set(key, backend);
    }
    return backend;
  }

  /** The process reward model the `reward-model` ranking asks, when `cotStudio.rewardModel.model` names one. */
  rewardModel(): RewardModelAccess | undefined {
    const model = readSetting('rewardModel.model');
    if (!model) return undefined;
    const load = {
      slot: 'reward' as const,
      model,
      provider: this.settings().kind === 'local' ? readSetting('engine.executionProvider') : ('auto' as const),
    };
    const key = JSON.stringify(load);
    if (this.reward?.key !== key) {
      void this.reward?.backend.dispose();
      this.reward = { key, backend: new EngineProcessBackend(this.engine, load) };
    }
    const backend = this.reward.backend;
    const format = rewardModelFormatSchema.parse({
      template: readSetting('rewardModel.template') || undefined,
      goodToken: readSetting('rewardModel.goodToken') || undefined,
      badToken: readSetting('rewardModel.badToken') || undefined,
    });
    return { name: path.basename(model), nextToken: (prompt, tokens, images) => backend.nextTokenLogprobs(prompt, tokens, images), format };
  }

  /** Loads the local model now (if that is the backend) and says where it runs. */
  async loadLocalModel(): Promise<LoadedModel | undefined> {
    const backend = await this.backend();
    if (!(backend instanceof EngineProcessBackend)) return undefined;
    const model = await backend.model();
    this.changed.fire(model);
    return model;
  }

  async setApiKey(key: string | undefined): Promise<void> {
    if (key) await this.context.secrets.store(API_KEY_SECRET, key);
    else await this.context.secrets.delete(API_KEY_SECRET);
  }

  private async apiKey(): Promise<{ apiKey?: string }> {
    const key = await this.context.secrets.get(API_KEY_SECRET);
    return key ? { apiKey: key } : {};
  }

  private async replace(): Promise<void> {
    const previous = this.current;
    this.current = undefined;
    if (previous) {
      await previous.backend.dispose();
      this.changed.fire(undefined);
    }
  }

  dispose(): void {
    void this.current?.backend.dispose();
    void this.reward?.backend.dispose();
    for (const server of this.servers.values()) void server.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
