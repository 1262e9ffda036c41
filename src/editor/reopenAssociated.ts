import * as vscode from 'vscode';
import { DATASET_VIEW_TYPE } from './datasetRegistry';

function datasetPatterns(): string[] {
  const associations = vscode.workspace.getConfiguration('workbench').get<Record<string, string>>('editorAssociations') ?? {};
  return Object.entries(associations)
    .filter(([, viewType]) => viewType === DATASET_VIEW_TYPE)
    .map(([pattern]) => (pattern.includes('/') ? pattern : `**/${pattern}`));
}

/**
 * A file opened while the window starts (from the command line or a URL) can be shown as text before
 * the extension's editors are registered, even when `workbench.editorAssociations` (for example the
 * `*.cot.jsonl` default) says it belongs to the dataset editor. Reopen such tabs where they are.
 */
export async function reopenAssociatedTextEditors(): Promise<number> {
  const patterns = datasetPatterns();
  if (patterns.length === 0) return 0;
  let reopened = 0;
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      if (!(tab.input instanceof vscode.TabInputText)) continue;
      const uri = tab.input.uri;
      const document = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === uri.toString());
      if (!document || document.isDirty) continue;
      if (!patterns.some((pattern) => vscode.languages.match({ pattern }, document) > 0)) continue;
      await vscode.commands.executeCommand('vscode.openWith', uri, DATASET_VIEW_TYPE, { viewColumn: group.viewColumn, preserveFocus: !tab.isActive });
      // Opening the same file in the same group usually replaces the text tab; close it where it stayed.
      const leftOver = vscode.window.tabGroups.all
        .filter((current) => current.viewColumn === group.viewColumn)
        .flatMap((current) => current.tabs)
        .find((candidate) => candidate.input instanceof vscode.TabInputText && candidate.input.uri.toString() === uri.toString());
      if (leftOver) await vscode.window.tabGroups.close(leftOver);
      reopened++;
    }
  }
  return reopened;
}
