import * as vscode from 'vscode';
import type { RecordFilter } from '../dataset/facts';
import { errorMessage } from '../errors/message';
import { type HostMessage, type WebviewMessage, webviewMessageSchema } from '../protocol';
import type { RegenerationRun } from '../search/regeneration';
import type { DatasetDocument } from './datasetDocument';
import { type DatasetPanel, type DatasetRegistry, positionIn, type SegmentFocus } from './datasetRegistry';
import { buildSample } from './sample';
import { renderWebviewHtml } from './webviewHtml';

/** A filter pass tells the list how far it has read at most this often. */
const FILTER_PROGRESS_MS = 250;
/** Growth is shown this often at most: a fast scan adds lines hundreds of times a second. */
const GROWTH_REPORT_MS = 150;

/** What the sample view asks of regeneration: runs go on in the host, their progress comes back as messages. */
export interface Regenerations {
  regenerate(document: DatasetDocument, run: RegenerationRun): Promise<unknown>;
  cancel(document: DatasetDocument): void;
}

/** Passes on a dataset's growth to a view at most every `GROWTH_REPORT_MS`, and always its last state. */
class GrowthReports {
  private last = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly send: () => void) {}

  report(): void {
    const wait = this.last + GROWTH_REPORT_MS - Date.now();
    if (wait <= 0) {
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.last = Date.now();
    this.send();
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

/**
 * One dataset editor panel: its webview's page, the messages it sends (each validated), the list's filter, and
 * the dataset's changes passed on to it. The webview asks for pages of records as it scrolls, so it never holds
 * the whole file.
 */
export class PanelController implements DatasetPanel {
  selected = 0;
  focus: SegmentFocus | undefined;
  view: Uint32Array | null = null;
  /** Stops the filter pass under way: a new filter overtakes it, a closed panel needs none. */
  private filtering: AbortController | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    readonly document: DatasetDocument,
    private readonly panel: vscode.WebviewPanel,
    private readonly datasets: DatasetRegistry,
    private readonly regenerations: Regenerations,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.render();
    const growth = new GrowthReports(() => {
      const dataset = document.dataset;
      const { indexed, total } = dataset.indexProgress;
      this.post({
        type: 'indexing',
        recordCount: dataset.recordCount,
        lineCount: dataset.lineCount,
        listCount: this.view?.length ?? dataset.recordCount,
        indexedBytes: indexed,
        totalBytes: total,
        complete: !dataset.indexing,
      });
      this.postCounts();
    });
    this.subscriptions.push(
      datasets.addPanel(this, panel.active),
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        const parsed = webviewMessageSchema.safeParse(raw);
        if (!parsed.success) {
          this.log.warn(`Ignored an invalid message from the dataset view: ${parsed.error.message}`);
          return;
        }
        this.handle(parsed.data);
      }),
      document.onDidChangeContent(({ lines }) => {
        const dataset = document.dataset;
        const recordIndices = lines === 'all' ? 'all' : lines.map((line) => dataset.recordIndexOfLine(line)).filter((index) => index !== -1);
        // Under a filter an edit may move records in or out of the view; the pages are read again as they are.
        this.post({ type: 'changed', recordIndices: this.view ? 'all' : recordIndices, recordCount: this.view?.length ?? dataset.recordCount });
        this.postCounts();
        if (datasets.isFront(this)) datasets.selectionMoved();
      }),
      document.onDidGrow(() => growth.report()),
      growth,
      document.onDidCountFacts(() => {
        this.post({ type: 'changed', recordIndices: 'all', recordCount: this.view?.length ?? document.dataset.recordCount });
        this.postCounts();
        if (datasets.isFront(this)) datasets.selectionMoved();
      }),
      panel.onDidChangeViewState(({ webviewPanel }) => datasets.setFront(this, webviewPanel.active)),
    );
    panel.onDidDispose(() => {
      this.filtering?.abort();
      for (const subscription of this.subscriptions) subscription.dispose();
    });
  }

  post(message: HostMessage): void {
    void this.panel.webview.postMessage(message);
  }

  private render(): void {
    const webview = this.panel.webview;
    const distUri = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const mediaUri = vscode.Uri.joinPath(this.extensionUri, 'media');
    webview.options = {
      enableScripts: true,
      localResourceRoots: [distUri, mediaUri, ...this.document.imageRoots().map((root) => vscode.Uri.file(root))],
    };
    webview.html = renderWebviewHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'webview.js')).toString(),
      styleUris: [
        webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'katex', 'katex.min.css')).toString(),
        webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'codicons', 'codicon.css')).toString(),
        webview.asWebviewUri(vscode.Uri.joinPath(mediaUri, 'webview.css')).toString(),
      ],
      title: this.document.dataset.fileName,
      language: vscode.env.language,
      l10nBundle: vscode.l10n.bundle,
    });
  }

  /** The review progress and the filter bar's counts, after anything that may change them. */
  private postCounts(): void {
    const { reviewed, total, known, formats, review, checks, unrated, hasAlternatives, disagreement, conflicts, annotators } = this.document.facts.counts();
    this.post({ type: 'progress', reviewed, total, complete: known === total && !this.document.dataset.indexing });
    this.post({
      type: 'filtered',
      count: this.view?.length ?? this.document.dataset.recordCount,
      filterActive: this.view !== null,
      counts: { formats, review, checks, unrated, hasAlternatives, disagreement, conflicts, annotators },
    });
  }

  /**
   * Filters the list; an empty filter shows every record again. A new filter stops the pass of the one before
   * it; a long pass says how far it has read.
   */
  private async applyFilter(filter: RecordFilter): Promise<void> {
    this.filtering?.abort();
    const stop = new AbortController();
    this.filtering = stop;
    const active = Object.values(filter).some((value) => value !== undefined && value !== false && value !== '');
    let reported = performance.now();
    const onProgress = (read: number, of: number) => {
      if (performance.now() - reported < FILTER_PROGRESS_MS) return;
      reported = performance.now();
      this.post({ type: 'filtering', read, of, indexing: this.document.dataset.indexing });
    };
    let view: Uint32Array | null;
    try {
      view = active ? await this.document.facts.filter(filter, { signal: stop.signal, onProgress }) : null;
    } catch (error) {
      if (stop.signal.aborted) return;
      throw error;
    }
    if (stop.signal.aborted) return;
    this.view = view;
    this.postCounts();
    this.post({ type: 'changed', recordIndices: 'all', recordCount: view?.length ?? this.document.dataset.recordCount });
  }

  private handle(message: WebviewMessage): void {
    const { dataset } = this.document;
    switch (message.type) {
      case 'ready':
        this.post({ type: 'dataset', fileName: dataset.fileName, recordCount: dataset.recordCount, lineCount: dataset.lineCount, complete: !dataset.indexing });
        this.postCounts();
        if (this.selected > 0) this.post({ type: 'select', index: this.selected, position: positionIn(this.view, this.selected) });
        return;
      case 'setFilter':
        void this.applyFilter(message.filter);
        return;
      case 'select':
        this.selected = Math.min(message.index, Math.max(0, dataset.recordCount - 1));
        this.focus =
          message.segment === undefined
            ? undefined
            : { segment: message.segment, turn: message.turn ?? 0, ...(message.model === undefined ? {} : { model: message.model }) };
        if (this.datasets.isFront(this)) this.datasets.selectionMoved();
        return;
      case 'requestPage': {
        const summaries = this.view
          ? Array.from(this.view.subarray(message.start, message.start + message.count), (index) => dataset.summary(index))
          : dataset.page(message.start, message.count);
        const { facts } = this.document;
        const records = summaries.map((summary) => ({ ...summary, checks: facts.checksOf(summary.index) ?? [] }));
        this.post({ type: 'page', start: message.start, records });
        return;
      }
      case 'requestSample': {
        if (message.index >= dataset.recordCount) return;
        if (!message.prefetch) this.selected = message.index;
        const source = (file: string) => this.panel.webview.asWebviewUri(vscode.Uri.file(file)).toString();
        this.post({ type: 'sample', sample: buildSample(this.document, message.index, source), prefetch: message.prefetch });
        return;
      }
      case 'regenerate': {
        const { line, segment, side = 'primary', turn, rest, method } = message;
        // Failures reach the view as a regeneration message; this only keeps them from going unhandled.
        this.regenerations
          .regenerate(this.document, { line, segment, side, ...(turn === undefined ? {} : { turn }), rest, method })
          .then(undefined, (error: unknown) => {
            void vscode.window.showErrorMessage(vscode.l10n.t('CoT Studio: {0}', errorMessage(error)));
          });
        return;
      }
      case 'cancelRegeneration':
        this.regenerations.cancel(this.document);
        return;
      case 'labelSteps': {
        // The palette's commands, which show their progress and errors themselves.
        const command = message.by === 'prelabel' ? 'cotStudio.prelabelSteps' : 'cotStudio.scoreStepsByRollouts';
        const args = { uri: this.document.uri.toString(), line: message.line, ...(message.turn === undefined ? {} : { turn: message.turn }) };
        void vscode.commands.executeCommand(command, args);
        return;
      }
      case 'operation':
        try {
          this.document.applyOperation({ ...message.operation, uri: undefined });
        } catch (error) {
          const text = errorMessage(error);
          this.post({ type: 'error', message: text });
          void vscode.window.showErrorMessage(text);
        }
        return;
    }
  }
}
