import * as path from 'node:path';
import * as vscode from 'vscode';
import { z } from 'zod';
import { DATASET_VIEW_TYPE } from '../editor';
import { commandArguments, uriFromArgument } from './arguments';

/** `{uri?}` from a keybinding, task or test; the explorer passes a Uri instead. */
const openDatasetArgsSchema = z.object({ uri: z.string().optional() }).strict();

async function pickDataset(): Promise<vscode.Uri | undefined> {
  const files = await vscode.workspace.findFiles('**/*.jsonl', '**/node_modules/**', 1000);
  files.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  const items = [
    ...files.map((uri) => ({ label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(uri), uri })),
    { label: vscode.l10n.t('$(folder-opened) Browse...'), description: vscode.l10n.t('Choose a JSONL file'), uri: undefined },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Open Dataset'),
    placeHolder: vscode.l10n.t('Choose a JSONL dataset'),
    matchOnDescription: true,
  });
  if (!picked) return undefined;
  if (picked.uri) return picked.uri;
  const chosen = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { [vscode.l10n.t('JSON Lines')]: ['jsonl'] },
    title: vscode.l10n.t('Open Dataset'),
  });
  return chosen?.[0];
}

function uriFromArgs(args: unknown): vscode.Uri | undefined {
  if (args instanceof vscode.Uri) return args;
  if (args === undefined) return undefined;
  const { uri } = commandArguments('cotStudio.openDataset', openDatasetArgsSchema, args);
  return uri === undefined ? undefined : uriFromArgument(uri);
}

function activeJsonl(): vscode.Uri | undefined {
  const uri = vscode.window.activeTextEditor?.document.uri;
  return uri?.path.endsWith('.jsonl') ? uri : undefined;
}

/** "CoT Studio: Open Dataset": the given file, the JSONL file being edited, or one picked from the workspace. */
export async function openDataset(args?: unknown): Promise<void> {
  const uri = uriFromArgs(args) ?? activeJsonl() ?? (await pickDataset());
  if (!uri) return;
  await vscode.commands.executeCommand('vscode.openWith', uri, DATASET_VIEW_TYPE);
}
