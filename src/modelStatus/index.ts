import * as vscode from 'vscode';
import type { EngineClient } from '../engineClient';
import type { GenerationService } from '../generation';
import type { EngineStatus, LoadedModel } from '../protocol';
import { formatEngineStatus, formatLoadedModel, modelSummary } from '../engineClient/statusReport';
import { readSetting } from '../settings/reader';
import { errorMessage } from '../errors/message';

export interface ModelStatusReport {
  status: EngineStatus;
  /** The local model as loaded for the current settings; undefined with a remote backend or when it failed. */
  model: LoadedModel | undefined;
  /** Why the model could not be loaded. */
  modelError?: string;
}

/** A status bar item naming the local model and the execution provider it runs on, once loaded. */
function registerModelItem(context: vscode.ExtensionContext, generation: GenerationService): void {
  const item = vscode.window.createStatusBarItem('cotStudio.model', vscode.StatusBarAlignment.Right, 99);
  item.name = vscode.l10n.t('CoT Studio Model');
  item.command = 'cotStudio.showModelStatus';
  context.subscriptions.push(
    item,
    generation.onDidChangeModel((model) => {
      if (!model) {
        item.hide();
        return;
      }
      item.text = `$(hubot) ${model.name} · ${model.provider.toUpperCase()}`;
      item.tooltip = vscode.l10n.t('CoT Studio model: {0}. Click for the model status.', modelSummary(model));
      item.show();
    }),
  );
}

/**
 * "CoT Studio: Show Model Status": loads onnxruntime in the engine process, tries each provider, loads the
 * configured model and reports where it runs and why the other providers were not used.
 */
export function registerModelStatus(context: vscode.ExtensionContext, engine: EngineClient, generation: GenerationService, log: vscode.LogOutputChannel): void {
  registerModelItem(context, generation);
  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.showModelStatus', async (): Promise<ModelStatusReport | undefined> => {
      log.show(true);
      let status: EngineStatus;
      try {
        status = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('CoT Studio: probing execution providers') },
          () => engine.request('status'),
        );
      } catch (error) {
        log.error(`Could not load the inference engine: ${errorMessage(error)}`);
        void vscode.window.showErrorMessage(vscode.l10n.t('Could not load the inference engine: {0}', errorMessage(error)));
        return undefined;
      }
      const preference = readSetting('engine.executionProvider');
      for (const line of formatEngineStatus(status, preference)) log.info(line);
      const settings = generation.settings();
      if (settings.kind === 'openai') {
        log.info(`backend: OpenAI-compatible server ${settings.openai.baseUrl}, model ${settings.openai.model}`);
        return { status, model: undefined };
      }
      try {
        const model = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('CoT Studio: loading the model') },
          () => generation.loadLocalModel(),
        );
        if (model) for (const line of formatLoadedModel(model)) log.info(line);
        return { status, model };
      } catch (error) {
        const modelError = errorMessage(error);
        log.error(`Could not load the model: ${modelError}`);
        void vscode.window.showErrorMessage(vscode.l10n.t('CoT Studio could not load the model: {0}', modelError));
        return { status, model: undefined, modelError };
      }
    }),
  );
}
