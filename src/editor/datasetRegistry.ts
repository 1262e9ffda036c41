import * as vscode from 'vscode';
import type { HostMessage } from '../protocol';
import type { DatasetDocument } from './datasetDocument';

export const DATASET_VIEW_TYPE = 'cotStudio.dataset';

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

/** A dataset editor panel as the registry sees it: what it shows and how to tell it. */
export interface DatasetPanel {
  readonly document: DatasetDocument;
  /** 0-based index of the selected record. */
  selected: number;
  /** The focused segment of the selected record, when the sample view has one. */
  focus: SegmentFocus | undefined;
  /** Record indices the list shows under the current filter, in file order; null shows every record. */
  readonly view: Uint32Array | null;
  post(message: HostMessage): void;
}

/** The list position of a record index in a filtered view (in file order or sorted), or null when it is filtered out. */
export function positionIn(view: Uint32Array | null, index: number): number | null {
  if (!view) return index;
  let low = 0;
  let high = view.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if (view[middle] === index) return middle;
    if (view[middle] < index) low = middle + 1;
    else high = middle - 1;
  }
  // A view in another order than the file's (sorted by disagreement) is searched through.
  const found = view.indexOf(index);
  return found < 0 ? null : found;
}

/**
 * The datasets open in a dataset editor, their panels, and which one is in front with what selected: what
 * commands act on, and where a run's progress is sent.
 */
export class DatasetRegistry implements vscode.Disposable {
  private readonly documents = new Set<DatasetDocument>();
  private readonly panels = new Set<DatasetPanel>();
  private active: DatasetPanel | undefined;
  private readonly selectionChanged = new vscode.EventEmitter<DatasetSelection | undefined>();
  /** The front dataset editor, its selected sample or segment, or its content changed. */
  readonly onDidChangeSelection = this.selectionChanged.event;
  private readonly opened = new vscode.EventEmitter<DatasetDocument>();
  /** A dataset was read and is about to be shown. */
  readonly onDidOpenDocument = this.opened.event;

  /** The datasets open in an editor now. */
  get openDocuments(): readonly DatasetDocument[] {
    return [...this.documents];
  }

  addDocument(document: DatasetDocument): void {
    this.documents.add(document);
    document.onDidDispose(() => this.documents.delete(document));
    this.opened.fire(document);
  }

  /** Keeps a panel until the returned disposable is disposed; `front` when it opens in front. */
  addPanel(panel: DatasetPanel, front: boolean): vscode.Disposable {
    this.panels.add(panel);
    if (front) this.active = panel;
    return {
      dispose: () => {
        this.panels.delete(panel);
        if (this.active === panel) this.active = undefined;
        this.selectionMoved();
      },
    };
  }

  /** A panel came to the front or left it. */
  setFront(panel: DatasetPanel, front: boolean): void {
    if (front) this.active = panel;
    else if (this.active === panel) this.active = undefined;
    this.selectionMoved();
  }

  isFront(panel: DatasetPanel): boolean {
    return this.active === panel;
  }

  /** The dataset a command acts on: the one named, or the one in the active (or last active) dataset editor. */
  documentFor(uri?: vscode.Uri): DatasetDocument {
    if (uri !== undefined) {
      const found = [...this.documents].find((d) => d.uri.toString() === uri.toString());
      if (!found) throw new Error(vscode.l10n.t('{0} is not open in the dataset editor', uri.fsPath));
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
        ? vscode.l10n.t('No dataset is open: open a JSONL file with "CoT Studio: Open Dataset" first')
        : vscode.l10n.t('Several datasets are open and none is in front: pass {uri} or bring one to the front'),
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

  /** Moves the selection of the active panel (or the document's first panel) and shows it. */
  select(document: DatasetDocument, index: number): void {
    const panel = this.panelOf(document);
    if (!panel) return;
    panel.selected = Math.max(0, Math.min(document.dataset.recordCount - 1, index));
    panel.focus = undefined;
    this.selectionMoved();
    panel.post({ type: 'select', index: panel.selected, position: positionIn(panel.view, panel.selected) });
  }

  /** Sends a message to every panel that shows the document (a run's progress). */
  broadcast(document: DatasetDocument, message: HostMessage): void {
    for (const panel of this.panels) if (panel.document === document) panel.post(message);
  }

  /** The selection in front may have changed: the status bar and the views that follow it are told. */
  selectionMoved(): void {
    this.selectionChanged.fire(this.selection);
  }

  private panelOf(document: DatasetDocument): DatasetPanel | undefined {
    return this.active?.document === document ? this.active : [...this.panels].find((p) => p.document === document);
  }

  dispose(): void {
    this.selectionChanged.dispose();
    this.opened.dispose();
  }
}
