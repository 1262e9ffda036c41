import * as vscode from 'vscode';
import type { GenerateOptions } from './backends/types';
import { registerCommands } from './commands';
import { registerRegenerateCommands } from './commands/regenerate';
import { DatasetRegistry, registerDatasetEditor, reopenAssociatedTextEditors } from './editor';
import { EngineClient } from './engineClient';
import { GenerationService } from './generation';
import { registerGenerationCommands } from './generation/commands';
import { registerModelStatus } from './modelStatus';
import { registerOverview } from './overview';
import { RegenerationService } from './regeneration/regenerationService';
import type { GenerationRequest, GenerationResult } from './protocol';
import { registerStatusBar } from './statusBar';
import { registerValidation } from './validation';

/** What the extension offers other extensions and its own host tests. */
export interface CotStudioApi {
  /** The datasets open in a dataset editor: file and record count as read from disk. */
  openDatasets(): { uri: string; recordCount: number; lineCount: number; dirty: boolean }[];
  /** The current text of a 1-based line of an open dataset, unsaved edits included. */
  readLine(uri: string, line: number): string;
  /** Generates with the backend the settings choose (the local engine by default). */
  generate(request: GenerationRequest, options?: GenerateOptions): Promise<GenerationResult>;
  /** The engine process's id while it runs. */
  engineProcessId(): number | undefined;
}

export function activate(context: vscode.ExtensionContext): CotStudioApi {
  const log = vscode.window.createOutputChannel('CoT Studio', { log: true });
  context.subscriptions.push(log);
  const engine = new EngineClient(vscode.Uri.joinPath(context.extensionUri, 'dist', 'engine.js').fsPath, (line) => log.info(line));
  context.subscriptions.push({ dispose: () => engine.dispose() });
  const generation = new GenerationService(context, engine);
  context.subscriptions.push(generation);
  const datasets = new DatasetRegistry();
  context.subscriptions.push(datasets);
  const regenerations = new RegenerationService(datasets, generation, log);
  registerDatasetEditor(context, datasets, regenerations, log);
  registerCommands(context, datasets, generation, log);
  registerValidation(context, datasets);
  registerStatusBar(context, datasets);
  registerOverview(context, datasets);
  registerGenerationCommands(context, generation);
  registerModelStatus(context, engine, generation, log);
  registerRegenerateCommands(context, datasets, regenerations);
  reopenAssociatedTextEditors().catch((error: unknown) => log.warn(`Could not reopen datasets in the dataset editor: ${String(error)}`));
  return {
    openDatasets: () =>
      datasets.openDocuments.map((document) => ({
        uri: document.uri.toString(),
        recordCount: document.dataset.recordCount,
        lineCount: document.dataset.lineCount,
        dirty: document.dataset.isChanged,
      })),
    readLine: (uri, line) => datasets.documentFor(vscode.Uri.parse(uri)).dataset.lineText(line - 1),
    generate: async (request, options) => (await generation.backend()).generate(request, options),
    engineProcessId: () => engine.processId,
  };
}

export function deactivate(): void {}
