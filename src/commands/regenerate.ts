import { randomInt } from 'node:crypto';
import * as vscode from 'vscode';
import { z } from 'zod';
import { ImageResolver } from '../dataset/images';
import { readRecordState } from '../dataset/operations';
import type { DatasetDocument, DatasetEditorProvider } from '../editor';
import type { GenerationService } from '../generation';
import type { HostMessage } from '../protocol';
import { beamSearch, DEFAULT_BEAM } from '../search/beam';
import type { Backend } from '../backends/types';
import { DEFAULT_REFLECTION_PHRASE } from '../dataset/annotations';
import type { ParsedRecord } from '../dataset/record';
import { DEFAULT_MCTS, mctsSearch } from '../search/mcts/modelSearch';
import {
  alternativesOperation,
  beamParameters,
  mctsOperations,
  mctsParameters,
  mctsRegenerateResult,
  type RegenerateResult,
  regenerateResult,
  regenerationSettingsSchema,
  type ResolvedTarget,
  summarizeTree,
} from '../search/regeneration';
import { withModelImages } from '../search/segmentPrompt';
import { resolveReply } from '../dataset/replies';
import { JudgeTemplates, makeScorer, rankingSchema, type TemplateOverrides, templateOverridesSchema } from '../search/scorers';
import { commandArguments, datasetArgument } from './arguments';
import { errorMessage } from '../errors/message';

export type { RegenerateResult } from '../search/regeneration';

export const regenerateArgsSchema = regenerationSettingsSchema
  .extend({
    uri: z.string().optional(),
    line: z.number().int().min(1),
  })
  .strict();
export type RegenerateArgs = z.input<typeof regenerateArgsSchema>;

/** What a run tells the sample view; the line, side and turn it is about are added by the one who posts it. */
type RegenerationUpdate = Omit<Extract<HostMessage, { type: 'regeneration' }>, 'type' | 'line' | 'side' | 'turn'>;

/**
 * `cotStudio.regenerateSegment`: stage-level beam search for one segment (or the rest of the response),
 * in the engine process or on a server, with progress and cancel; candidates stream to the sample view and
 * become the segment's alternatives (one undoable edit per stage). Runs one at a time per dataset.
 */
export function registerRegenerateCommand(
  context: vscode.ExtensionContext,
  provider: DatasetEditorProvider,
  generation: GenerationService,
  log: vscode.LogOutputChannel,
): void {
  const running = new Map<string, AbortController>();
  let modelChoiceOffered = false;
  /** Once a window: a notification with the two ways to a real model, each one click. */
  const offerModelChoice = (): void => {
    if (modelChoiceOffered) return;
    modelChoiceOffered = true;
    const folder = 'Select Local Model Folder...';
    const server = 'Use an OpenAI-Compatible Server...';
    void vscode.window
      .showInformationMessage(
        'CoT Studio regenerated with its sample model, a toy that writes placeholder text. Choose a model to regenerate for real.',
        folder,
        server,
      )
      .then((choice) => {
        if (choice === folder) void vscode.commands.executeCommand('cotStudio.selectModel');
        else if (choice === server) void vscode.commands.executeCommand('workbench.action.openSettings', 'cotStudio.openai cotStudio.backend');
      });
  };

  const regenerate = async (document: DatasetDocument, args: z.output<typeof regenerateArgsSchema>): Promise<RegenerateResult> => {
    const key = document.uri.toString();
    // Until the record is read, the turn asked for (or the last one, which the view shows for a missing one) names the run.
    let reply: ResolvedTarget = { side: args.side, turn: args.turn ?? 0 };
    const post = (message: RegenerationUpdate) => provider.broadcast(document, { type: 'regeneration', line: args.line, ...reply, ...message });
    if (running.has(key)) {
      // The run that is going on keeps the view busy; this one only says why it did not start.
      throw new Error(`${document.dataset.fileName}: a regeneration is already running; cancel it first`);
    }
    const controller = new AbortController();
    running.set(key, controller);
    /** The segment being decoded, so a cancel or an error is shown where the run stopped. */
    let current = args.segment;
    try {
      const config = vscode.workspace.getConfiguration('cotStudio.regenerate');
      // Its candidates could not be written into the line: refused before the search.
      document.dataset.assertRewritable(args.line - 1);
      const { parsed: record } = readRecordState(document.dataset.lineText(args.line - 1), document.dataset.format);
      const resolved = resolveReply(record, args);
      reply = { side: resolved.side, turn: resolved.turn };
      // Models get the record's images as data URIs read from under the allowed roots, never a file that escapes them.
      const [datasetDir, ...imageRoots] = document.imageRoots();
      const resolver = new ImageResolver(datasetDir as string, imageRoots);
      let parsed: ParsedRecord;
      try {
        parsed = withModelImages(record, (images) => resolver.forModel(images));
      } catch (error) {
        throw new Error(`${document.dataset.fileName}:${args.line}: ${errorMessage(error)}`);
      }
      const seed = args.seed ?? randomInt(0, 2 ** 31);
      const options = {
        candidates: args.candidates ?? config.get<number>('candidates', DEFAULT_BEAM.candidates),
        temperature: args.temperature ?? config.get<number>('temperature', DEFAULT_BEAM.temperature),
        topP: args.topP ?? config.get<number>('topP', DEFAULT_BEAM.topP),
        maxTokens: args.maxTokens ?? config.get<number>('maxTokens', DEFAULT_BEAM.maxTokens),
        rest: args.rest,
        seed,
      };
      // The sample model cannot judge: unless a ranking was asked for, its candidates are ranked by log-probability.
      const sampleModel = generation.usesSampleModel();
      const rankSet = config.inspect<string>('rank');
      const rankAskedFor = args.rank ?? rankSet?.workspaceFolderValue ?? rankSet?.workspaceValue ?? rankSet?.globalValue;
      const rank = rankingSchema.parse(rankAskedFor ?? (sampleModel ? 'logprob' : config.get<string>('rank', 'knockout')));
      const sampleNote = sampleModel
        ? [
            `sample model: placeholder text, not reasoning; choose a model to regenerate for real${rankAskedFor === undefined ? ' (ranked by log-probability: the sample model gives no verdicts)' : ''}`,
          ]
        : [];
      if (sampleModel) offerModelChoice();
      const templates = templateOverridesSchema.parse(vscode.workspace.getConfiguration('cotStudio.judge').get('templates', {}));
      const scorer = makeScorer(rank, templates, rank === 'reward-model' ? generation.rewardModel() : undefined);
      const backend = await generation.backend();
      if (args.method === 'mcts') {
        return await treeSearch(document, args, reply, backend, parsed, seed, templates, controller.signal, post, sampleModel);
      }
      // Read once a stage is drawn: a server's grammar is known after its first constrained request.
      const parameters = () => beamParameters(options, scorer.name, backend);
      const lastSegment = args.rest ? resolved.response.segments.length - 1 : args.segment;
      const texts = new Map<number, string[]>();
      let lastPost = 0;
      // The view shows the run with its own Cancel; the window progress only says that something runs.
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `CoT Studio: regenerating line ${args.line}` },
        (progress) =>
          beamSearch(backend, scorer, backend, parsed, reply, args.segment, options, {
            signal: controller.signal,
            onToken: (segment, event) => {
              current = segment;
              const candidates = texts.get(segment) ?? Array.from({ length: options.candidates }, () => '');
              candidates[event.candidate] = (candidates[event.candidate] ?? '') + event.text;
              texts.set(segment, candidates);
              // A few updates a second are enough to watch; more would flood the webview.
              if (performance.now() - lastPost > 100) {
                lastPost = performance.now();
                post({ segment, state: 'decoding', candidates, final: false });
                progress.report({ message: `segment ${segment + 1}` });
              }
            },
            onRanking: (segment, candidates) => post({ segment, state: 'ranking', candidates, final: false }),
            onStage: (stage) => {
              // A stage cut short by a cancel decides nothing: its candidates are not kept.
              if (controller.signal.aborted) return;
              const operation = alternativesOperation(stage, args.line, reply, backend.name, parameters(), new Date().toISOString());
              if (operation) document.applyOperation(operation);
              const dropped = stage.dropped.map((entry) => entry.reason);
              const message = [...sampleNote, ...(dropped.length ? [`dropped ${dropped.length}: ${dropped.join('; ')}`] : []), ...stage.notes].join('. ');
              const kept = stage.candidates.length > 0;
              post({
                segment: stage.segment,
                state: kept ? 'done' : 'failed',
                candidates: stage.candidates.map((c) => c.text),
                // The search stops after a stage without a winner, and after the last segment.
                final: !kept || stage.segment >= lastSegment,
                ...(message ? { message } : {}),
              });
              if (message) log.info(`line ${args.line}, ${stage.label}: ${message}`);
            },
          }),
      );
      if (controller.signal.aborted) post({ segment: current, state: 'cancelled', candidates: [], final: true });
      return regenerateResult(result, seed, parameters(), new Date().toISOString());
    } catch (error) {
      post({ segment: current, state: 'failed', candidates: [], final: true, message: errorMessage(error) });
      throw error;
    } finally {
      running.delete(key);
    }
  };

  /**
   * CoMCTS on the segment: the tree goes to the view after every round; the candidates from the best leaves
   * become the segment's alternatives (one undoable edit), and the reflection proposals wait in the view.
   */
  async function treeSearch(
    document: DatasetDocument,
    args: z.output<typeof regenerateArgsSchema>,
    reply: ResolvedTarget,
    backend: Backend,
    parsed: ParsedRecord,
    seed: number,
    templates: TemplateOverrides,
    signal: AbortSignal,
    post: (message: RegenerationUpdate) => void,
    sampleModel: boolean,
  ): Promise<RegenerateResult> {
    const config = vscode.workspace.getConfiguration('cotStudio.mcts');
    if (args.rest) throw new Error('the tree search writes the whole rest of the response already; run it without "rest"');
    const options = {
      ...DEFAULT_MCTS,
      iterations: args.iterations ?? config.get<number>('iterations', DEFAULT_MCTS.iterations),
      samples: args.samples ?? config.get<number>('samples', DEFAULT_MCTS.samples),
      c: config.get<number>('explorationConstant', DEFAULT_MCTS.c),
      answerCheck: config.get<string>('answerCheck', DEFAULT_MCTS.answerCheck) === 'judge' ? ('judge' as const) : ('rules' as const),
      temperature: args.temperature ?? config.get<number>('temperature', DEFAULT_MCTS.temperature),
      maxTokens: args.maxTokens ?? vscode.workspace.getConfiguration('cotStudio.regenerate').get<number>('maxTokens', DEFAULT_MCTS.maxTokens),
      candidates: args.candidates ?? DEFAULT_MCTS.candidates,
      seed,
      reflectionPhrase: vscode.workspace.getConfiguration('cotStudio').get<string>('reflectionPhrase', DEFAULT_REFLECTION_PHRASE) || DEFAULT_REFLECTION_PHRASE,
    };
    const collective = await generation.collective();
    const judgeTemplates = new JudgeTemplates(templates);
    const judges = collective.judges.map((judge) => ({ ...judge, templates: judgeTemplates }));
    post({ segment: args.segment, state: 'searching', candidates: [], final: false });
    const found = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `CoT Studio: tree search on line ${args.line}` },
      (progress) =>
        mctsSearch(collective.policies, judges, parsed, reply, args.segment, options, {
          signal,
          onRound: (tree, iterations) => {
            progress.report({ message: `${iterations} / ${options.iterations} iterations` });
            const search = {
              nodes: summarizeTree(tree),
              bestPath: tree.path(tree.bestLeaf()),
              iterations,
              budget: options.iterations,
              solved: false,
              reflections: [],
            };
            post({ segment: args.segment, state: 'searching', candidates: [], final: false, search });
          },
        }),
    );
    const result = mctsRegenerateResult(
      found,
      { index: args.segment, label: resolveReply(parsed, reply).response.segments[args.segment]?.label ?? '' },
      backend.name,
      seed,
      mctsParameters(options, judges.length),
      new Date().toISOString(),
    );
    const { nodes } = result.tree ?? { nodes: [] };
    const search = {
      nodes,
      bestPath: result.bestPath ?? [],
      iterations: found.search.iterations,
      budget: options.iterations,
      solved: found.search.solved,
      reflections: found.reflections,
    };
    if (signal.aborted) {
      post({ segment: args.segment, state: 'cancelled', candidates: [], final: true, search });
      return result;
    }
    for (const operation of mctsOperations(result, args.line, args.segment, reply)) document.applyOperation(operation);
    // The sample model never gives a verdict: say that once, rather than count the steps it left neutral.
    const notes = sampleModel
      ? [
          'sample model: placeholder text, not reasoning; choose a model to regenerate for real (the sample model gives no verdicts, so every step counts as neutral)',
          ...found.notes.filter((note) => !/no (yes\/no )?verdict/.test(note)),
        ]
      : found.notes;
    const message = [...(result.candidates.length === 0 ? ['no chain kept a candidate for the segment'] : []), ...notes].join('. ');
    post({
      segment: args.segment,
      state: result.candidates.length > 0 ? 'done' : 'failed',
      candidates: result.candidates.map((c) => c.text),
      final: true,
      search,
      ...(message ? { message } : {}),
    });
    return result;
  }

  /** A run on the segment focused in the front dataset editor; errors are shown, not thrown. */
  async function fromPalette(method: 'beam' | 'mcts'): Promise<RegenerateResult | undefined> {
    try {
      const document = provider.documentFor();
      const line = document.dataset.recordLine(provider.selectionOf(document)) + 1;
      const focus = provider.focusOf(document);
      if (focus === undefined) throw new Error('focus a segment in the sample view first (arrow keys or a click)');
      const { model, ...at } = focus;
      if (model !== undefined) throw new Error(`the path of ${model} is a search result to rate and edit; regenerate the record's first path`);
      return await regenerate(document, regenerateArgsSchema.parse({ line, ...at, method }));
    } catch (error) {
      void vscode.window.showErrorMessage(`CoT Studio: ${errorMessage(error)}`);
      return undefined;
    }
  }

  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.regenerateSegment', async (args?: unknown): Promise<RegenerateResult | undefined> => {
      if (args === undefined) return fromPalette('beam');
      const parsed = commandArguments('cotStudio.regenerateSegment', regenerateArgsSchema, args);
      return regenerate(datasetArgument(provider, parsed.uri), parsed);
    }),
    /** The palette's tree search: `cotStudio.regenerateSegment` with `method: "mcts"` on the focused segment. */
    vscode.commands.registerCommand('cotStudio.treeSearchSegment', () => fromPalette('mcts')),
    vscode.commands.registerCommand('cotStudio.cancelRegeneration', (args?: unknown) => {
      const parsed = z
        .object({ uri: z.string().optional() })
        .strict()
        .safeParse(args ?? {});
      if (!parsed.success) throw new Error(`cotStudio.cancelRegeneration: expected {uri?: string}, got ${JSON.stringify(args)}`);
      // With nothing running there is nothing to cancel, whether or not a dataset is open.
      if (running.size === 0) return;
      const document = datasetArgument(provider, parsed.data.uri);
      running.get(document.uri.toString())?.abort();
    }),
  );
}
