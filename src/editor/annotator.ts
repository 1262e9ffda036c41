import * as path from 'node:path';
import * as vscode from 'vscode';
import { defaultAnnotator } from '../annotators/defaultAnnotator';
import { readSetting } from '../settings/reader';

/** Each folder's default annotator, looked up once: the git user or the OS user (see defaultAnnotator). */
const defaults = new Map<string, string | undefined>();

/** The folder whose git user annotates a dataset: its workspace folder, else the file's own. */
function folderOf(uri: vscode.Uri): string | undefined {
  if (uri.scheme !== 'file') return undefined;
  return vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(uri.fsPath);
}

/** Looks up the default annotator of a dataset's folder, so that `annotatorFor` can answer at once when an edit comes. */
export async function learnAnnotator(uri: vscode.Uri): Promise<void> {
  const folder = folderOf(uri);
  if (folder === undefined || defaults.has(folder)) return;
  defaults.set(folder, await defaultAnnotator(folder));
}

/** Who is annotating a dataset: `cotStudio.annotator`, else its folder's default once learnt. */
export function annotatorFor(uri: vscode.Uri): string | undefined {
  const configured = readSetting('annotator', uri).trim();
  if (configured) return configured;
  const folder = folderOf(uri);
  return folder === undefined ? undefined : defaults.get(folder);
}
