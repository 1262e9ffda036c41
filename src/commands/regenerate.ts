import { randomInt } from 'node:crypto';
import * as vscode from 'vscode';
import { z } from 'zod';
import { ImageResolver } from '../dataset/images';
import { readRecordState } from '../dataset/operations';
import type { DatasetDocument, DatasetEditorProvider } from '../editor';
import type { GenerationService } from '../generation';
import type { HostMessage } from '../protocol';
import { beamSearch, DEFAULT_BEAM } from '../search/beam';
import { alternativesOperation, beamParameters, beamSettingsSchema, type RegenerateResult, regenerateResult } from '../search/regeneration';
import { makeScorer, rankingSchema, templateOverridesSchema } from '../search/scorers';
import { uriFromArgument } from './uri';

export type { RegenerateResult } from '../search/regeneration';

export const regenerateArgsSchema = beamSettingsSchema
  .extend({
    uri: z.string().optional(),
    line: z.number().int().min(1),
  })
  .strict();
export type RegenerateArgs = z.input<typeof regenerateArgsSchema>;

/**
 * `cotStudio.regenerateSegment`: stage-level beam search for one segment (or the rest of the response),
 * in the engine process or on a server, with progress and cancel; candidates stream to the sample view and
 * become the segment's alternatives (one undoable edit per stage). Runs one at a time per dataset.
 */
export function registerRegenerateCommand(context: vscode.ExtensionContext, provider: DatasetEditorProvider, generation: GenerationService, log: vscode.LogOutputChannel): void {
  const running = new Map<string, AbortController>();

  const regenerate = async (document: DatasetDocument, args: z.output<typeof regenerateArgsSchema>): Promise<RegenerateResult> => {
    const key = document.uri.toString();
    if (running.has(key)) throw new Error(`${document.dataset.fileName}: a regeneration is already running; cancel it first`);
    const config = vscode.workspace.getConfiguration('cotStudio.regenerate');
    const { parsed: record } = readRecordState(document.dataset.lineText(args.line - 1), document.dataset.format);
    // Models get the record's images as files under the allowed roots (or inline), never a path that escapes them.
    const [datasetDir, ...imageRoots] = document.imageRoots();
    const resolver = new ImageResolver(datasetDir as string, imageRoots);
    const images = record.images.map((image) => {
      const located = resolver.locate(image);
      if ('problem' in located) throw new Error(`${document.dataset.fileName}:${args.line}: ${located.problem}`);
      return 'file' in located ? located.file : located.inline;
    });
    const parsed = { ...record, images };
    const seed = args.seed ?? randomInt(0, 2 ** 31);
    const options = {
      candidates: args.candidates ?? config.get<number>('candidates', DEFAULT_BEAM.candidates),
      temperature: args.temperature ?? config.get<number>('temperature', DEFAULT_BEAM.temperature),
      topP: args.topP ?? config.get<number>('topP', DEFAULT_BEAM.topP),
      maxTokens: args.maxTokens ?? config.get<number>('maxTokens', DEFAULT_BEAM.maxTokens),
      rest: args.rest,
      seed,
    };
    const rank = args.rank ?? rankingSchema.parse(config.get<string>('rank', 'knockout'));
    const templates = templateOverridesSchema.parse(vscode.workspace.getConfiguration('cotStudio.judge').get('templates', {}));
    const scorer = makeScorer(rank, templates, rank === 'reward-model' ? generation.rewardModel() : undefined);
    const backend = await generation.backend();
    const parameters = beamParameters(options, scorer.name);
    const controller = new AbortController();
    running.set(key, controller);
    const post = (message: HostMessage) => provider.broadcast(document, message);
    const texts = new Map<number, string[]>();
    let lastPost = 0;
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Regenerating line ${args.line}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => controller.abort());
          return beamSearch(backend, scorer, backend, parsed, args.side, args.segment, options, {
            signal: controller.signal,
            onToken: (segment, event) => {
              const candidates = texts.get(segment) ?? Array.from({ length: options.candidates }, () => '');
              candidates[event.candidate] = (candidates[event.candidate] ?? '') + event.text;
              texts.set(segment, candidates);
              // A few updates a second are enough to watch; more would flood the webview.
              if (performance.now() - lastPost > 100) {
                lastPost = performance.now();
                post({ type: 'regeneration', line: args.line, segment, side: args.side, state: 'decoding', candidates });
                progress.report({ message: `segment ${segment + 1}: ${candidates.reduce((sum, text) => sum + text.length, 0)} characters in ${options.candidates} candidates` });
              }
            },
            onStage: (stage) => {
              post({ type: 'regeneration', line: args.line, segment: stage.segment, side: args.side, state: 'ranking', candidates: stage.candidates.map((c) => c.text) });
              const operation = alternativesOperation(stage, args.line, args.side, backend.name, parameters, new Date().toISOString());
              if (operation) document.applyOperation(operation);
              const dropped = stage.dropped.map((entry) => entry.reason);
              const message = [...(dropped.length ? [`dropped ${dropped.length}: ${dropped.join('; ')}`] : []), ...stage.notes].join('. ');
              post({
                type: 'regeneration',
                line: args.line,
                segment: stage.segment,
                side: args.side,
                state: stage.candidates.length > 0 ? 'done' : 'failed',
                candidates: stage.candidates.map((c) => c.text),
                ...(message ? { message } : {}),
              });
              if (message) log.info(`line ${args.line}, ${stage.label}: ${message}`);
            },
          });
        },
      );
      if (controller.signal.aborted) post({ type: 'regeneration', line: args.line, segment: args.segment, side: args.side, state: 'cancelled', candidates: [] });
      return regenerateResult(result, seed, parameters, new Date().toISOString());
    } catch (error) {
      post({ type: 'regeneration', line: args.line, segment: args.segment, side: args.side, state: 'failed', candidates: [], message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      running.delete(key);
    }
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.regenerateSegment', async (args?: unknown): Promise<RegenerateResult | undefined> => {
      if (args === undefined) {
        try {
          const document = provider.documentFor();
          const line = document.dataset.recordLine(provider.selectionOf(document)) + 1;
          const segment = provider.segmentOf(document);
          if (segment === undefined) throw new Error('focus a segment in the sample view first (arrow keys or a click)');
          return await regenerate(document, regenerateArgsSchema.parse({ line, segment }));
        } catch (error) {
          void vscode.window.showErrorMessage(`CoT Studio: ${error instanceof Error ? error.message : String(error)}`);
          return undefined;
        }
      }
      const parsed = regenerateArgsSchema.safeParse(args);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`).join('; ');
        throw new Error(`cotStudio.regenerateSegment: invalid arguments (${issues})`);
      }
      const document = provider.documentFor(parsed.data.uri === undefined ? undefined : uriFromArgument(parsed.data.uri));
      return regenerate(document, parsed.data);
    }),
    vscode.commands.registerCommand('cotStudio.cancelRegeneration', (args?: { uri?: string }) => {
      const document = provider.documentFor(args?.uri === undefined ? undefined : uriFromArgument(args.uri));
      running.get(document.uri.toString())?.abort();
    }),
  );
}
