import * as vscode from 'vscode';
import { DatasetDocument } from './datasetDocument';
import type { DatasetRegistry } from './datasetRegistry';
import { PanelController, type Regenerations } from './panelController';

/**
 * The dataset editor as VS Code sees it: opens, saves, reverts and backs up documents, and gives each panel a
 * controller. Edits go through the document, which hands them to VS Code's undo stack.
 */
export class DatasetEditorProvider implements vscode.CustomEditorProvider<DatasetDocument> {
  private readonly changed = new vscode.EventEmitter<vscode.CustomDocumentEditEvent<DatasetDocument>>();
  readonly onDidChangeCustomDocument = this.changed.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly datasets: DatasetRegistry,
    private readonly regenerations: Regenerations,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async openCustomDocument(uri: vscode.Uri, openContext: vscode.CustomDocumentOpenContext): Promise<DatasetDocument> {
    const document = await DatasetDocument.open(uri, openContext.backupId, this.log);
    const subscription = document.onDidEdit((edit) => this.changed.fire(edit));
    document.onDidDispose(() => subscription.dispose());
    this.log.info(`Opened ${uri.fsPath}: ${document.dataset.recordCount} records on ${document.dataset.lineCount} lines`);
    this.datasets.addDocument(document);
    document.startBackgroundChecks();
    return document;
  }

  resolveCustomEditor(document: DatasetDocument, webviewPanel: vscode.WebviewPanel): void {
    new PanelController(document, webviewPanel, this.datasets, this.regenerations, this.extensionUri, this.log);
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
}
