import * as vscode from 'vscode';
import { readSetting, writeSetting } from '../settings/reader';
import type { GenerationService } from '.';

/** Commands that choose the model: a local folder, or the API key of an OpenAI-compatible server. */
export function registerGenerationCommands(context: vscode.ExtensionContext, generation: GenerationService): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.setApiKey', async (key?: string) => {
      const value =
        typeof key === 'string'
          ? key
          : await vscode.window.showInputBox({
              title: vscode.l10n.t('API key of the OpenAI-compatible server'),
              prompt: vscode.l10n.t('Stored in VS Code secret storage, not in settings. Leave empty to remove the stored key.'),
              password: true,
              ignoreFocusOut: true,
            });
      if (value === undefined) return;
      await generation.setApiKey(value || undefined);
      void vscode.window.showInformationMessage(value ? vscode.l10n.t('CoT Studio: API key stored.') : vscode.l10n.t('CoT Studio: API key removed.'));
    }),
    vscode.commands.registerCommand('cotStudio.selectModel', async (folder?: vscode.Uri) => {
      const chosen =
        folder ??
        (
          await vscode.window.showOpenDialog({
            canSelectFolders: true,
            canSelectFiles: false,
            openLabel: vscode.l10n.t('Use this model'),
            title: vscode.l10n.t(
              'A model folder in the Hugging Face ONNX layout (config.json, tokenizer.json, onnx/model.onnx, or, for a vision-language model, onnx/vision_encoder, embed_tokens and decoder_model_merged)',
            ),
          })
        )?.[0];
      if (!chosen) return;
      await writeSetting('engine.model', chosen.fsPath);
      if (readSetting('backend') !== 'local') await writeSetting('backend', 'local');
      await vscode.commands.executeCommand('cotStudio.showModelStatus');
    }),
  );
}
