import * as vscode from 'vscode';
import { DATASET_VIEW_TYPE, DatasetEditorProvider } from './datasetEditorProvider';

export { DatasetDocument } from './datasetDocument';
export { DATASET_VIEW_TYPE, DatasetEditorProvider, type DatasetSelection, type SegmentFocus } from './datasetEditorProvider';
export { reopenAssociatedTextEditors } from './reopenAssociated';

export function registerDatasetEditor(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): DatasetEditorProvider {
  const provider = new DatasetEditorProvider(context.extensionUri, log);
  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(DATASET_VIEW_TYPE, provider, {
      supportsMultipleEditorsPerDocument: true,
      webviewOptions: { retainContextWhenHidden: false },
    }),
  );
  return provider;
}
