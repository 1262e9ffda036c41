import * as vscode from 'vscode';
import { z } from 'zod';
import { commandArguments, datasetArgument } from '../commands/arguments';
import type { DatasetRegistry } from '../editor';
import { renderWebviewHtml } from '../editor/webviewHtml';
import { overviewRequestSchema } from '../protocol';
import { overviewProgress } from './progress';

/** The pass reports a batch of records many times a second, and edits come in bursts: at most this often. */
const POST_EVERY_MS = 200;
const argsSchema = z.object({ uri: z.string().optional() }).strict();

/** "CoT Studio: Dataset Overview": counts by format, review status and check, and charts that follow the work. */
export function registerOverview(context: vscode.ExtensionContext, datasets: DatasetRegistry): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.datasetOverview', (args?: unknown) => {
      const { uri } = commandArguments('cotStudio.datasetOverview', argsSchema, args ?? {});
      const document = datasetArgument(datasets, uri);
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
      // The counts are the editor's own pass over the records (its fact table), kept current through edits:
      // the overview reads no record itself.
      let timer: ReturnType<typeof setTimeout> | undefined;
      let due = false;
      const post = () => {
        due = true;
        if (timer) return;
        due = false;
        void webview.postMessage(overviewProgress(document.dataset, document.facts));
        timer = setTimeout(() => {
          timer = undefined;
          if (due) post();
        }, POST_EVERY_MS);
      };
      const subscriptions = [
        webview.onDidReceiveMessage((raw: unknown) => {
          if (overviewRequestSchema.safeParse(raw).success) post();
        }),
        document.onDidCheckRecords(post),
        document.onDidCountFacts(post),
        document.onDidChangeContent(post),
        document.onDidDispose(() => panel.dispose()),
      ];
      panel.onDidDispose(() => {
        clearTimeout(timer);
        for (const subscription of subscriptions) subscription.dispose();
      });
      return panel.title;
    }),
  );
}
