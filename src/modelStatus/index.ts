import * as vscode from 'vscode';
import type { EngineClient } from '../engineClient';
import type { EngineStatus } from '../protocol';
import { formatEngineStatus, type ProviderPreference } from './format';

/** "CoT Studio: Show Model Status": loads onnxruntime in the engine process and reports what runs. */
export function registerModelStatus(context: vscode.ExtensionContext, engine: EngineClient, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.showModelStatus', async (): Promise<EngineStatus | undefined> => {
      log.show(true);
      try {
        const status = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: 'CoT Studio: probing execution providers' },
          () => engine.request('status'),
        );
        const preference = vscode.workspace.getConfiguration('cotStudio.engine').get<ProviderPreference>('executionProvider', 'auto');
        for (const line of formatEngineStatus(status, preference)) log.info(line);
        return status;
      } catch (error) {
        const message = `Could not load the inference engine: ${error instanceof Error ? error.message : String(error)}`;
        log.error(message);
        void vscode.window.showErrorMessage(message);
        return undefined;
      }
    }),
  );
}
