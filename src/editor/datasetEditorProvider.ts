import * as vscode from 'vscode';
import type { RecordFilter } from '../dataset/facts';
import { type HostMessage, type WebviewMessage, webviewMessageSchema } from '../protocol';
import { DatasetDocument } from './datasetDocument';
import { buildSample } from './sample';
import { renderWebviewHtml } from './webviewHtml';
import { errorMessage } from '../errors/message';

export const DATASET_VIEW_TYPE = 'cotStudio.dataset';

/** A filter pass tells the list how far it has read at most this often. */
const FILTER_PROGRESS_MS = 250;

interface Panel {
  document: DatasetDocument;
  panel: vscode.WebviewPanel;
  /** 0-based index of the selected record. */
  selected: number;
  /** The focused segment of the selected record, when the sample view has one. */
  focus: SegmentFocus | undefined;
  /** Record indices the list shows under the current filter, in file order; null shows every record. */
  view: Uint32Array | null;
  /** Stops the filter pass under way: a new filter overtakes it, a closed panel needs none. */
  filtering?: AbortController;
}

/** The list position of a record index in a filtered view (sorted), or null when it is filtered out. */
function positionIn(view: Uint32Array | null, index: number): number | null {
  if (!view) return index;
  let low = 0;
  let high = view.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if (view[middle] === index) return middle;
    if (view[middle] < index) low = middle + 1;
    else high = middle - 1;
  }
  return null;
}

/** Growth is shown this often at most: a fast scan adds lines hundreds of times a second. */
const GROWTH_REPORT_MS = 150;

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
 * A segment the sample view has focused: its 0-based index in the reply of the record's assistant turn `turn`, or
 * in the path of `model` (a tree search's output).
 */
export interface SegmentFocus {
  segment: number;
  turn: number;
  model?: string;
}

/** What the front dataset editor has selected, for the status bar. */
export interface DatasetSelection {
  document: DatasetDocument;
  index: number;
  focus: SegmentFocus | undefined;
}

/**
 * The dataset editor. Each panel gets the dataset's summary, then asks for pages of records as it
 * scrolls, so the webview never holds the whole file. Edits go through the document, which hands them to
 * VS Code's undo stack.
 */
export class DatasetEditorProvider implements vscode.CustomEditorProvider<DatasetDocument> {
  private readonly documents = new Set<DatasetDocument>();
  private readonly panels = new Set<Panel>();
  private active: Panel | undefined;
  private readonly changed = new vscode.EventEmitter<vscode.CustomDocumentEditEvent<DatasetDocument>>();
  readonly onDidChangeCustomDocument = this.changed.event;
  private readonly selectionChanged = new vscode.EventEmitter<DatasetSelection | undefined>();
  /** The front dataset editor, its selected sample or segment, or its content changed. */
  readonly onDidChangeSelection = this.selectionChanged.event;
  private readonly opened = new vscode.EventEmitter<DatasetDocument>();
  /** A dataset was read and is about to be shown. */
  readonly onDidOpenDocument = this.opened.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The datasets open in an editor now. */
  get openDocuments(): readonly DatasetDocument[] {
    return [...this.documents];
  }

  /** The dataset a command acts on: the one named, or the one in the active (or last active) dataset editor. */
  documentFor(uri?: vscode.Uri): DatasetDocument {
    if (uri !== undefined) {
      const found = [...this.documents].find((d) => d.uri.toString() === uri.toString());
      if (!found) throw new Error(`${uri.fsPath} is not open in the dataset editor`);
      return found;
    }
    // The tab model knows which editor is in front even before the webview reports its view state.
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (tab instanceof vscode.TabInputCustom && tab.viewType === DATASET_VIEW_TYPE) {
      const front = [...this.documents].find((d) => d.uri.toString() === tab.uri.toString());
      if (front) return front;
    }
    if (this.active) return this.active.document;
    if (this.documents.size === 1) return [...this.documents][0];
    throw new Error(
      this.documents.size === 0
        ? 'No dataset is open: open a JSONL file with "CoT Studio: Open Dataset" first'
        : 'Several datasets are open and none is in front: pass {uri} or bring one to the front',
    );
  }

  /** The selected record in the front panel of a document, as a 0-based record index. */
  selectionOf(document: DatasetDocument): number {
    return this.panelOf(document)?.selected ?? 0;
  }

  /** The focused segment in the front panel of a document, if the sample view has one. */
  focusOf(document: DatasetDocument): SegmentFocus | undefined {
    return this.panelOf(document)?.focus;
  }

  /** The selection of the dataset editor in front, if one is. */
  get selection(): DatasetSelection | undefined {
    const panel = this.active;
    return panel ? { document: panel.document, index: panel.selected, focus: panel.focus } : undefined;
  }

  private panelOf(document: DatasetDocument): Panel | undefined {
    return this.active?.document === document ? this.active : [...this.panels].find((p) => p.document === document);
  }

  private fireSelection(): void {
    this.selectionChanged.fire(this.selection);
  }

  /** Moves the selection of the active panel (or the document's first panel) and shows it. */
  select(document: DatasetDocument, index: number): void {
    const panel = this.panelOf(document);
    if (!panel) return;
    panel.selected = Math.max(0, Math.min(document.dataset.recordCount - 1, index));
    panel.focus = undefined;
    this.fireSelection();
    void panel.panel.webview.postMessage({ type: 'select', index: panel.selected, position: positionIn(panel.view, panel.selected) } satisfies HostMessage);
  }

  async openCustomDocument(uri: vscode.Uri, openContext: vscode.CustomDocumentOpenContext): Promise<DatasetDocument> {
    const document = await DatasetDocument.open(uri, openContext.backupId, this.log);
    this.documents.add(document);
    const subscription = document.onDidEdit((edit) => this.changed.fire(edit));
    document.onDidDispose(() => {
      subscription.dispose();
      this.documents.delete(document);
    });
    this.log.info(`Opened ${uri.fsPath}: ${document.dataset.recordCount} records on ${document.dataset.lineCount} lines`);
    this.opened.fire(document);
    document.startBackgroundChecks();
    return document;
  }

  resolveCustomEditor(document: DatasetDocument, webviewPanel: vscode.WebviewPanel): void {
    const webview = webviewPanel.webview;
    const distUri = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const mediaUri = vscode.Uri.joinPath(this.extensionUri, 'media');
    webview.options = {
      enableScripts: true,
      localResourceRoots: [distUri, mediaUri, ...document.imageRoots().map((root) => vscode.Uri.file(root))],
    };
    webview.html = renderWebviewHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'webview.js')).toString(),
      styleUris: [
        webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'katex', 'katex.min.css')).toString(),
        webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'codicons', 'codicon.css')).toString(),
        webview.asWebviewUri(vscode.Uri.joinPath(mediaUri, 'webview.css')).toString(),
      ],
      title: document.dataset.fileName,
    });
    const panel: Panel = { document, panel: webviewPanel, selected: 0, focus: undefined, view: null };
    this.panels.add(panel);
    if (webviewPanel.active) this.active = panel;
    const post = (message: HostMessage) => void webview.postMessage(message);
    const growth = new GrowthReports(() => {
      const dataset = document.dataset;
      const { indexed, total } = dataset.indexProgress;
      const complete = !dataset.indexing;
      post({
        type: 'indexing',
        recordCount: dataset.recordCount,
        lineCount: dataset.lineCount,
        listCount: panel.view?.length ?? dataset.recordCount,
        indexedBytes: indexed,
        totalBytes: total,
        complete,
      });
      post({ type: 'progress', ...this.progressOf(document) });
      post(this.filteredMessage(panel));
    });
    const subscriptions = [
      webview.onDidReceiveMessage((raw: unknown) => {
        const parsed = webviewMessageSchema.safeParse(raw);
        if (!parsed.success) {
          this.log.warn(`Ignored an invalid message from the dataset view: ${parsed.error.message}`);
          return;
        }
        this.handle(panel, parsed.data, post);
      }),
      document.onDidChangeContent(({ lines }) => {
        const dataset = document.dataset;
        const recordIndices = lines === 'all' ? 'all' : lines.map((line) => dataset.recordIndexOfLine(line)).filter((index) => index !== -1);
        // Under a filter an edit may move records in or out of the view; the pages are read again as they are.
        post({ type: 'changed', recordIndices: panel.view ? 'all' : recordIndices, recordCount: panel.view?.length ?? dataset.recordCount });
        post({ type: 'progress', ...this.progressOf(document) });
        post(this.filteredMessage(panel));
        if (this.active === panel) this.fireSelection();
      }),
      document.onDidGrow(() => growth.report()),
      { dispose: () => growth.dispose() },
      document.onDidCountFacts(() => {
        post({ type: 'changed', recordIndices: 'all', recordCount: panel.view?.length ?? document.dataset.recordCount });
        post({ type: 'progress', ...this.progressOf(document) });
        post(this.filteredMessage(panel));
        if (this.active === panel) this.fireSelection();
      }),
      webviewPanel.onDidChangeViewState(({ webviewPanel: changed }) => {
        if (changed.active) this.active = panel;
        else if (this.active === panel) this.active = undefined;
        this.fireSelection();
      }),
    ];
    webviewPanel.onDidDispose(() => {
      panel.filtering?.abort();
      for (const subscription of subscriptions) subscription.dispose();
      this.panels.delete(panel);
      if (this.active === panel) this.active = undefined;
      this.fireSelection();
    });
  }

  /**
   * Filters the list; an empty filter shows every record again. A new filter stops the pass of the one before
   * it; a long pass says how far it has read.
   */
  private async applyFilter(panel: Panel, filter: RecordFilter, post: (message: HostMessage) => void): Promise<void> {
    panel.filtering?.abort();
    const stop = new AbortController();
    panel.filtering = stop;
    const active = Object.values(filter).some((value) => value !== undefined && value !== false && value !== '');
    let reported = performance.now();
    const onProgress = (read: number, of: number) => {
      if (performance.now() - reported < FILTER_PROGRESS_MS) return;
      reported = performance.now();
      post({ type: 'filtering', read, of, indexing: panel.document.dataset.indexing });
    };
    let view: Uint32Array | null;
    try {
      view = active ? await panel.document.facts.filter(filter, { signal: stop.signal, onProgress }) : null;
    } catch (error) {
      if (stop.signal.aborted) return;
      throw error;
    }
    if (stop.signal.aborted) return;
    panel.view = view;
    post(this.filteredMessage(panel));
    post({ type: 'changed', recordIndices: 'all', recordCount: view?.length ?? panel.document.dataset.recordCount });
  }

  private filteredMessage(panel: Panel): HostMessage {
    const counts = panel.document.facts.counts();
    return {
      type: 'filtered',
      count: panel.view?.length ?? panel.document.dataset.recordCount,
      filterActive: panel.view !== null,
      counts: { formats: counts.formats, review: counts.review, checks: counts.checks, unrated: counts.unrated, hasAlternatives: counts.hasAlternatives },
    };
  }

  private progressOf(document: DatasetDocument): { reviewed: number; total: number; complete: boolean } {
    const { reviewed, total, known } = document.facts.counts();
    return { reviewed, total, complete: known === total && !document.dataset.indexing };
  }

  saveCustomDocument(document: DatasetDocument): Promise<void> {
    return document.save();
  }

  saveCustomDocumentAs(document: DatasetDocument, destination: vscode.Uri): Promise<void> {
    return document.saveAs(destination);
  }

  revertCustomDocument(document: DatasetDocument): Promise<void> {
    return document.revert();
  }

  backupCustomDocument(document: DatasetDocument, context: vscode.CustomDocumentBackupContext): Promise<vscode.CustomDocumentBackup> {
    return document.backup(context.destination);
  }

  /** Sends a message to every panel that shows the document (regeneration progress). */
  broadcast(document: DatasetDocument, message: HostMessage): void {
    for (const panel of this.panels) if (panel.document === document) void panel.panel.webview.postMessage(message);
  }

  private handle(panel: Panel, message: WebviewMessage, post: (message: HostMessage) => void): void {
    const { dataset } = panel.document;
    switch (message.type) {
      case 'ready':
        post({ type: 'dataset', fileName: dataset.fileName, recordCount: dataset.recordCount, lineCount: dataset.lineCount, complete: !dataset.indexing });
        post({ type: 'progress', ...this.progressOf(panel.document) });
        post(this.filteredMessage(panel));
        if (panel.selected > 0) post({ type: 'select', index: panel.selected, position: positionIn(panel.view, panel.selected) });
        return;
      case 'setFilter':
        void this.applyFilter(panel, message.filter, post);
        return;
      case 'select':
        panel.selected = Math.min(message.index, Math.max(0, dataset.recordCount - 1));
        panel.focus =
          message.segment === undefined
            ? undefined
            : { segment: message.segment, turn: message.turn ?? 0, ...(message.model === undefined ? {} : { model: message.model }) };
        if (this.active === panel) this.fireSelection();
        return;
      case 'requestPage': {
        const { view } = panel;
        const summaries = view
          ? Array.from(view.subarray(message.start, message.start + message.count), (index) => dataset.summary(index))
          : dataset.page(message.start, message.count);
        const { facts } = panel.document;
        const records = summaries.map((summary) => ({ ...summary, checks: facts.checksOf(summary.index) ?? [] }));
        post({ type: 'page', start: message.start, records });
        return;
      }
      case 'requestSample': {
        if (message.index >= dataset.recordCount) return;
        if (!message.prefetch) panel.selected = message.index;
        const source = (file: string) => panel.panel.webview.asWebviewUri(vscode.Uri.file(file)).toString();
        post({ type: 'sample', sample: buildSample(panel.document, message.index, source), prefetch: message.prefetch });
        return;
      }
      case 'regenerate': {
        const { line, segment, side = 'primary', turn, rest, method } = message;
        const args = { uri: panel.document.uri.toString(), line, segment, side, ...(turn === undefined ? {} : { turn }), rest, method };
        // Failures reach the view as a regeneration message; this only keeps them from going unhandled.
        vscode.commands.executeCommand('cotStudio.regenerateSegment', args).then(undefined, (error: unknown) => {
          void vscode.window.showErrorMessage(`CoT Studio: ${errorMessage(error)}`);
        });
        return;
      }
      case 'cancelRegeneration':
        void vscode.commands.executeCommand('cotStudio.cancelRegeneration', { uri: panel.document.uri.toString() });
        return;
      case 'operation':
        try {
          panel.document.applyOperation({ ...message.operation, uri: undefined });
        } catch (error) {
          const text = errorMessage(error);
          post({ type: 'error', message: text });
          void vscode.window.showErrorMessage(text);
        }
        return;
    }
  }
}
