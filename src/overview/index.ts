import * as vscode from 'vscode';
import { z } from 'zod';
import { datasetArgument } from '../commands/arguments';
import type { DatasetRegistry } from '../editor';
import { renderWebviewHtml } from '../editor/webviewHtml';
import { overviewRequestSchema } from '../protocol';
import { countDataset } from './count';

/** Edits come in bursts while annotating; recount once they pause. */
const RECOUNT_DELAY_MS = 500;
const argsSchema = z.object({ uri: z.string().optional() }).strict();

/** "CoT Studio: Dataset Overview": counts by format, review status and check, and charts that follow the work. */
export function registerOverview(context: vscode.ExtensionContext, datasets: DatasetRegistry): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.datasetOverview', (args?: unknown) => {
      const parsed = argsSchema.safeParse(args ?? {});
      if (!parsed.success) throw new Error(`cotStudio.datasetOverview: expected {uri?: string}, got ${JSON.stringify(args)}`);
      const document = datasetArgument(datasets, parsed.data.uri);
      const panel = vscode.window.createWebviewPanel(
        'cotStudio.overview',
        vscode.l10n.t('Overview: {0}', document.dataset.fileName),
        vscode.ViewColumn.Beside,
        {
          enableScripts: true,
          localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist'), vscode.Uri.joinPath(context.extensionUri, 'media')],
        },
      );
      const webview = panel.webview;
      webview.html = renderWebviewHtml({
        cspSource: webview.cspSource,
        scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(context.extensionUri, 'dist', 'overview.js')).toString(),
        styleUris: [webview.asWebviewUri(vscode.Uri.joinPath(context.extensionUri, 'media', 'webview.css')).toString()],
        title: vscode.l10n.t('Overview of {0}', document.dataset.fileName),
        language: vscode.env.language,
        l10nBundle: vscode.l10n.bundle,
      });
      let generation = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const recount = () => {
        const mine = ++generation;
        void countDataset(
          () => document.dataset,
          document.checkContext(),
          (message) => mine === generation && void webview.postMessage(message),
          () => mine !== generation,
        );
      };
      const subscriptions = [
        webview.onDidReceiveMessage((raw: unknown) => {
          if (overviewRequestSchema.safeParse(raw).success) recount();
        }),
        document.onDidChangeContent(() => {
          clearTimeout(timer);
          timer = setTimeout(recount, RECOUNT_DELAY_MS);
        }),
        document.onDidDispose(() => panel.dispose()),
      ];
      panel.onDidDispose(() => {
        generation++;
        clearTimeout(timer);
        for (const subscription of subscriptions) subscription.dispose();
      });
      return panel.title;
    }),
  );
}
