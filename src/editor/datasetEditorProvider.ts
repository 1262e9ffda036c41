import * as path from 'node:path';
import * as vscode from 'vscode';
import { Dataset } from '../dataset';
import { type HostMessage, type WebviewMessage, webviewMessageSchema } from '../protocol';
import { renderWebviewHtml } from './webviewHtml';

export const DATASET_VIEW_TYPE = 'cotStudio.dataset';

/** A dataset opened in the editor: the bytes read from disk and their index. */
export class DatasetDocument implements vscode.CustomDocument {
  private readonly disposed = new vscode.EventEmitter<void>();
  /** Fires when VS Code closes the document, after its last editor is gone. */
  readonly onDidDispose = this.disposed.event;

  constructor(
    readonly uri: vscode.Uri,
    readonly dataset: Dataset,
  ) {}

  dispose(): void {
    this.disposed.fire();
    this.disposed.dispose();
  }
}

/**
 * The dataset editor. Each panel gets the dataset's summary, then asks for pages of records as it
 * scrolls, so the webview never holds the whole file.
 */
export class DatasetEditorProvider implements vscode.CustomReadonlyEditorProvider<DatasetDocument> {
  private readonly documents = new Set<DatasetDocument>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The datasets open in an editor now. */
  get openDocuments(): readonly DatasetDocument[] {
    return [...this.documents];
  }

  async openCustomDocument(uri: vscode.Uri): Promise<DatasetDocument> {
    const bytes = await vscode.workspace.fs.readFile(uri);
    const document = new DatasetDocument(uri, Dataset.fromBytes(path.basename(uri.path), bytes));
    this.documents.add(document);
    document.onDidDispose(() => this.documents.delete(document));
    this.log.info(`Opened ${uri.fsPath}: ${document.dataset.recordCount} records on ${document.dataset.lineCount} lines`);
    return document;
  }

  resolveCustomEditor(document: DatasetDocument, panel: vscode.WebviewPanel): void {
    const webview = panel.webview;
    const distUri = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const mediaUri = vscode.Uri.joinPath(this.extensionUri, 'media');
    webview.options = {
      enableScripts: true,
      localResourceRoots: [distUri, mediaUri, vscode.Uri.joinPath(document.uri, '..')],
    };
    webview.html = renderWebviewHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(mediaUri, 'webview.css')).toString(),
      title: document.dataset.fileName,
    });
    const post = (message: HostMessage) => void webview.postMessage(message);
    const subscription = webview.onDidReceiveMessage((raw: unknown) => {
      const parsed = webviewMessageSchema.safeParse(raw);
      if (!parsed.success) {
        this.log.warn(`Ignored an invalid message from the dataset view: ${parsed.error.message}`);
        return;
      }
      this.handle(document, parsed.data, post);
    });
    panel.onDidDispose(() => subscription.dispose());
  }

  private handle(document: DatasetDocument, message: WebviewMessage, post: (message: HostMessage) => void): void {
    const { dataset } = document;
    switch (message.type) {
      case 'ready':
        post({
          type: 'dataset',
          fileName: dataset.fileName,
          recordCount: dataset.recordCount,
          lineCount: dataset.lineCount,
        });
        return;
      case 'requestPage':
        post({ type: 'page', start: message.start, records: dataset.page(message.start, message.count) });
        return;
    }
  }
}
