import * as path from 'node:path';
import * as vscode from 'vscode';
import { z } from 'zod';
import type { DatasetRegistry } from '../editor';
import { errorMessage } from '../errors/message';
import { type InstalledDriver, installMergeDriver } from '../merge/gitDriver';
import { commandArguments } from './arguments';

const argsSchema = z.object({ folder: z.string().min(1).optional() }).strict();

/** The folder whose repository gets the driver: the front dataset's, else the only workspace folder, else one picked. */
async function chosenFolder(datasets: DatasetRegistry): Promise<string | undefined> {
  try {
    const { uri } = datasets.documentFor();
    if (uri.scheme === 'file') return path.dirname(uri.fsPath);
  } catch {
    // No dataset is open: the workspace says where.
  }
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 1) return folders[0]?.uri.fsPath;
  if (folders.length === 0) throw new Error(vscode.l10n.t('open a folder in a git repository first'));
  return (await vscode.window.showWorkspaceFolderPick({ placeHolder: vscode.l10n.t('Repository to merge datasets in') }))?.uri.fsPath;
}

/**
 * "CoT Studio: Install the Git Merge Driver for Datasets": what `cot-studio merge-driver --install` does, with the
 * CLI this extension ships, run by the editor's own runtime, so a team's merges of JSONL files never break a line.
 */
export function registerMergeDriverCommand(context: vscode.ExtensionContext, datasets: DatasetRegistry): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.installMergeDriver', async (args?: unknown): Promise<InstalledDriver | undefined> => {
      try {
        const { folder = await chosenFolder(datasets) } = commandArguments('cotStudio.installMergeDriver', argsSchema, args ?? {});
        if (folder === undefined) return undefined;
        const installed = installMergeDriver(folder, {
          runtime: process.execPath,
          cli: context.asAbsolutePath(path.join('dist', 'cli.js')),
          electron: process.versions.electron !== undefined,
        });
        void vscode.window.showInformationMessage(
          vscode.l10n.t(
            'CoT Studio now merges the JSONL datasets of {0} record by record. Commit .gitattributes; each person installs the driver in their own clone (git config is not shared), and again after updating CoT Studio.',
            installed.repository,
          ),
        );
        return installed;
      } catch (error) {
        void vscode.window.showErrorMessage(vscode.l10n.t('CoT Studio: {0}', errorMessage(error)));
        return undefined;
      }
    }),
  );
}
