import * as vscode from 'vscode';
import { DatasetEditorProvider } from './datasetEditorProvider';
import { DATASET_VIEW_TYPE, type DatasetRegistry } from './datasetRegistry';
import type { Regenerations } from './panelController';

export { DatasetDocument } from './datasetDocument';
export { DatasetEditorProvider } from './datasetEditorProvider';
export { DATASET_VIEW_TYPE, DatasetRegistry, type DatasetSelection, type SegmentFocus } from './datasetRegistry';
export type { Regenerations } from './panelController';
export { reopenAssociatedTextEditors } from './reopenAssociated';

export function registerDatasetEditor(
  context: vscode.ExtensionContext,
  datasets: DatasetRegistry,
  regenerations: Regenerations,
  log: vscode.LogOutputChannel,
): void {
  const provider = new DatasetEditorProvider(context.extensionUri, datasets, regenerations, log);
  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(DATASET_VIEW_TYPE, provider, {
      supportsMultipleEditorsPerDocument: true,
      webviewOptions: { retainContextWhenHidden: false },
    }),
  );
}
