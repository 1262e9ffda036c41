import { randomInt } from 'node:crypto';
import * as vscode from 'vscode';
import { ImageResolver } from '../dataset/images';
import { readRecordState } from '../dataset/operations';
import type { ParsedRecord } from '../dataset/record';
import { resolveReply } from '../dataset/replies';
import type { DatasetDocument, DatasetRegistry, Regenerations } from '../editor';
import { errorMessage } from '../errors/message';
import type { GenerationService } from '../generation';
import type { HostMessage } from '../protocol';
import { type RegenerateResult, type RegenerationRun, regenerationRunSchema, type ResolvedTarget, summarizeTree } from '../search/regeneration';
import { type RegenerationJob, runRegeneration, searchOptions } from '../search/runner';
import { JudgeTemplates, makeScorer, type RankingMethod } from '../search/scorers';
import { withModelImages } from '../search/segmentPrompt';
import { readReflectionPhrase, readSetting, settingIsSet } from '../settings/reader';

/** What a run tells the sample view; the line, side and turn it is about are added by the one who posts it. */
type RegenerationUpdate = Omit<Extract<HostMessage, { type: 'regeneration' }>, 'type' | 'line' | 'side' | 'turn'>;

/** A run under way: what it runs, how it tells the views, and whether the sample model writes it. */
interface Run {
  document: DatasetDocument;
  job: RegenerationJob;
  signal: AbortSignal;
  post: (message: RegenerationUpdate) => void;
  progress: vscode.Progress<{ message?: string }>;
  sampleModel: boolean;
}

/** Set once anything was regenerated in this window: the walkthrough's "Regenerate a stage" step is then done. */
const REGENERATED_CONTEXT = 'cotStudio.regenerated';

/**
 * Regeneration in the editor: stage-level beam search or the tree search on one segment of an open dataset, run
 * by the search runner the command line uses, on the backend the settings choose. Candidates stream to every
 * view of the dataset and become the segment's alternatives (one undoable edit per stage); one run at a time
 * per dataset, cancelled from the view or the palette.
 */
export class RegenerationService implements Regenerations {
  private readonly running = new Map<string, AbortController>();
  private modelChoiceOffered = false;

  constructor(
    private readonly datasets: DatasetRegistry,
    private readonly generation: GenerationService,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Whether a run is going on in any dataset. */
  get busy(): boolean {
    return this.running.size > 0;
  }

  cancel(document: DatasetDocument): void {
    this.running.get(document.uri.toString())?.abort();
  }

  async regenerate(document: DatasetDocument, input: RegenerationRun): Promise<RegenerateResult> {
    const run = regenerationRunSchema.parse(input);
    const key = document.uri.toString();
    // Until the record is read, the turn asked for (or the last one, which the view shows for a missing one) names the run.
    let reply: ResolvedTarget = { side: run.side, turn: run.turn ?? 0 };
    const controller = new AbortController();
    const post = (message: RegenerationUpdate) => {
      // The view frees its buttons on the final report: a start that follows at once must find this run over.
      if (message.final && this.running.get(key) === controller) this.running.delete(key);
      this.datasets.broadcast(document, { type: 'regeneration', line: run.line, ...reply, ...message });
    };
    if (this.running.has(key)) {
      // The view that asked saw no run going (another view or the palette started it): it is told why nothing starts.
      const refusal = vscode.l10n.t('{0}: a regeneration is already running; cancel it first', document.dataset.fileName);
      post({ segment: run.segment, state: 'failed', candidates: [], final: true, message: refusal });
      throw new Error(refusal);
    }
    this.running.set(key, controller);
    void vscode.commands.executeCommand('setContext', REGENERATED_CONTEXT, true);
    /** The segment being decoded, so a cancel or an error is shown where the run stopped. */
    const at = { segment: run.segment };
    try {
      if (run.method === 'mcts' && run.rest)
        throw new Error(vscode.l10n.t('the tree search writes the whole rest of the response already; run it without "rest"'));
      // Its candidates could not be written into the line: refused before the search.
      document.dataset.assertRewritable(run.line - 1);
      const { parsed } = readRecordState(document.dataset.lineText(run.line - 1), document.dataset.format);
      const resolved = resolveReply(parsed, run);
      reply = { side: resolved.side, turn: resolved.turn };
      const sampleModel = this.generation.usesSampleModel();
      const job = await this.job(document, run, parsed, reply, sampleModel);
      if (sampleModel) this.offerModelChoice();
      const title =
        run.method === 'mcts' ? vscode.l10n.t('CoT Studio: tree search on line {0}', run.line) : vscode.l10n.t('CoT Studio: regenerating line {0}', run.line);
      // The view shows the run with its own Cancel; the window progress only says that something runs.
      return await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title }, (progress) => {
        const going: Run = { document, job, signal: controller.signal, post, progress, sampleModel };
        return run.method === 'mcts' ? this.treeSearch(going) : this.beamSearch(going, at);
      });
    } catch (error) {
      post({ segment: at.segment, state: 'failed', candidates: [], final: true, message: errorMessage(error) });
      throw error;
    } finally {
      if (this.running.get(key) === controller) this.running.delete(key);
    }
  }

  /** The record as the model is shown it: images read as data URIs from under the allowed roots, never a file that escapes them. */
  private modelRecord(document: DatasetDocument, record: ParsedRecord, line: number): ParsedRecord {
    const [datasetDir, ...imageRoots] = document.imageRoots();
    const resolver = new ImageResolver(datasetDir as string, imageRoots);
    try {
      return withModelImages(record, (images) => resolver.forModel(images));
    } catch (error) {
      throw new Error(`${document.dataset.fileName}:${line}: ${errorMessage(error)}`);
    }
  }

  /** The runner's job from the run's arguments over the settings; the sample model, which cannot judge, ranks by log-probability unless told otherwise. */
  private async job(
    document: DatasetDocument,
    run: ReturnType<typeof regenerationRunSchema.parse>,
    parsed: ParsedRecord,
    reply: ResolvedTarget,
    sampleModel: boolean,
  ): Promise<RegenerationJob> {
    const { beam, mcts } = searchOptions(run, {
      beam: {
        candidates: readSetting('regenerate.candidates'),
        temperature: readSetting('regenerate.temperature'),
        topP: readSetting('regenerate.topP'),
        maxTokens: readSetting('regenerate.maxTokens'),
      },
      mcts: {
        iterations: readSetting('mcts.iterations'),
        samples: readSetting('mcts.samples'),
        c: readSetting('mcts.explorationConstant'),
        answerCheck: readSetting('mcts.answerCheck'),
        temperature: readSetting('mcts.temperature'),
        maxTokens: readSetting('regenerate.maxTokens'),
        reflectionPhrase: readReflectionPhrase(document.uri),
      },
    });
    const rankAskedFor = run.rank ?? (settingIsSet('regenerate.rank') ? readSetting('regenerate.rank') : undefined);
    const rank: RankingMethod = rankAskedFor ?? (sampleModel ? 'logprob' : readSetting('regenerate.rank'));
    const templates = readSetting('judge.templates');
    const backend = await this.generation.backend();
    const collective = run.method === 'mcts' ? await this.generation.collective() : { policies: [backend], judges: [{ backend, weight: 1 }] };
    return {
      record: this.modelRecord(document, parsed, run.line),
      imageNames: parsed.images,
      reply,
      line: run.line,
      segment: run.segment,
      seed: run.seed ?? randomInt(0, 2 ** 31),
      method: run.method,
      beam,
      mcts,
      backend,
      scorer: makeScorer(rank, templates, rank === 'reward-model' ? this.generation.rewardModel() : undefined),
      policies: collective.policies,
      judges: collective.judges,
      templates: new JudgeTemplates(templates),
    };
  }

  private async beamSearch({ document, job, signal, post, progress, sampleModel }: Run, at: { segment: number }): Promise<RegenerateResult> {
    const rankedBySampleModel = sampleModel && job.scorer.name === 'logprob';
    const sampleNote = !sampleModel
      ? []
      : rankedBySampleModel
        ? [
            vscode.l10n.t(
              'sample model: placeholder text, not reasoning; choose a model to regenerate for real (ranked by log-probability: the sample model gives no verdicts)',
            ),
          ]
        : [vscode.l10n.t('sample model: placeholder text, not reasoning; choose a model to regenerate for real')];
    const lastSegment = job.beam.rest ? resolveReply(job.record, job.reply).response.segments.length - 1 : job.segment;
    const texts = new Map<number, string[]>();
    let lastPost = 0;
    const { result } = await runRegeneration(job, {
      signal,
      onToken: (segment, event) => {
        at.segment = segment;
        const candidates = texts.get(segment) ?? Array.from({ length: job.beam.candidates }, () => '');
        candidates[event.candidate] = (candidates[event.candidate] ?? '') + event.text;
        texts.set(segment, candidates);
        // A few updates a second are enough to watch; more would flood the webview.
        if (performance.now() - lastPost > 100) {
          lastPost = performance.now();
          post({ segment, state: 'decoding', candidates, final: false });
          progress.report({ message: vscode.l10n.t('segment {0}', segment + 1) });
        }
      },
      onRanking: (segment, candidates) => post({ segment, state: 'ranking', candidates, final: false }),
      onStage: (stage, operation) => {
        if (operation) document.applyOperation(operation);
        const dropped = stage.dropped.map((entry) => entry.reason);
        const message = [
          ...sampleNote,
          ...(dropped.length ? [vscode.l10n.t('dropped {0}: {1}', dropped.length, dropped.join('; '))] : []),
          ...stage.notes,
        ].join('. ');
        const kept = stage.candidates.length > 0;
        post({
          segment: stage.segment,
          state: kept ? 'done' : 'failed',
          candidates: stage.candidates.map((c) => c.text),
          // The search stops after a stage without a winner, and after the last segment.
          final: !kept || stage.segment >= lastSegment,
          ...(message ? { message } : {}),
        });
        if (message) this.log.info(`line ${job.line}, ${stage.label}: ${message}`);
      },
    });
    if (signal.aborted) post({ segment: at.segment, state: 'cancelled', candidates: [], final: true });
    return result;
  }

  /**
   * CoMCTS on the segment: the tree goes to the view after every round; the candidates from the best leaves
   * become the segment's alternatives (one undoable edit), and the reflection proposals wait in the view.
   */
  private async treeSearch({ document, job, signal, post, progress, sampleModel }: Run): Promise<RegenerateResult> {
    const budget = job.mcts.iterations;
    post({ segment: job.segment, state: 'searching', candidates: [], final: false });
    const { result, operations } = await runRegeneration(job, {
      signal,
      onRound: (tree, iterations) => {
        progress.report({ message: vscode.l10n.t('{0} / {1} iterations', iterations, budget) });
        const search = { nodes: summarizeTree(tree), bestPath: tree.path(tree.bestLeaf()), iterations, budget, solved: false, reflections: [] };
        post({ segment: job.segment, state: 'searching', candidates: [], final: false, search });
      },
    });
    const search = {
      nodes: result.tree?.nodes ?? [],
      bestPath: result.bestPath ?? [],
      iterations: result.iterations ?? 0,
      budget,
      solved: result.solved ?? false,
      reflections: result.reflections ?? [],
    };
    if (signal.aborted) {
      post({ segment: job.segment, state: 'cancelled', candidates: [], final: true, search });
      return result;
    }
    for (const operation of operations) document.applyOperation(operation);
    // The sample model never gives a verdict: say that once, rather than count the steps it left neutral.
    const notes = sampleModel
      ? [
          vscode.l10n.t(
            'sample model: placeholder text, not reasoning; choose a model to regenerate for real (the sample model gives no verdicts, so every step counts as neutral)',
          ),
          ...result.notes.filter((note) => !/no (yes\/no )?verdict/.test(note)),
        ]
      : result.notes;
    const message = [...(result.candidates.length === 0 ? [vscode.l10n.t('no chain kept a candidate for the segment')] : []), ...notes].join('. ');
    post({
      segment: job.segment,
      state: result.candidates.length > 0 ? 'done' : 'failed',
      candidates: result.candidates.map((c) => c.text),
      final: true,
      search,
      ...(message ? { message } : {}),
    });
    return result;
  }

  /** Once a window: a notification with the two ways to a real model, each one click. */
  private offerModelChoice(): void {
    if (this.modelChoiceOffered) return;
    this.modelChoiceOffered = true;
    const folder = vscode.l10n.t('Select Local Model Folder...');
    const server = vscode.l10n.t('Use an OpenAI-Compatible Server...');
    void vscode.window
      .showInformationMessage(
        vscode.l10n.t('CoT Studio regenerated with its sample model, a toy that writes placeholder text. Choose a model to regenerate for real.'),
        folder,
        server,
      )
      .then((choice) => {
        if (choice === folder) void vscode.commands.executeCommand('cotStudio.selectModel');
        else if (choice === server) void vscode.commands.executeCommand('workbench.action.openSettings', 'cotStudio.openai cotStudio.backend');
      });
  }
}
