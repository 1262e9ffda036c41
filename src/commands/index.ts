import * as vscode from 'vscode';
import type { DatasetRegistry } from '../editor';
import type { GenerationService } from '../generation';
import { registerBuildPreferencePairsCommand } from './buildPreferencePairs';
import { registerEditingCommands } from './editing';
import { registerExportCommand } from './export';
import { registerNavigationCommands } from './navigation';
import { openDataset } from './openDataset';
import { openSampleDataset } from './sampleDataset';
import { registerCompareAnnotations } from './compareAnnotations';
import { registerMergeDriverCommand } from './mergeDriver';
import { registerPrelabelCommand } from './prelabel';
import { registerStepScoreCommand } from './stepScores';
import { errorMessage } from '../errors/message';

export function registerCommands(
  context: vscode.ExtensionContext,
  datasets: DatasetRegistry,
  generation: GenerationService,
  log: vscode.LogOutputChannel,
): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.openDataset', async (args?: unknown) => {
      try {
        await openDataset(args);
      } catch (error) {
        const message = errorMessage(error);
        log.error(message);
        void vscode.window.showErrorMessage(message);
      }
    }),
  );
  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.openSampleDataset', async (): Promise<string | undefined> => {
      try {
        return (await openSampleDataset(context)).toString();
      } catch (error) {
        const message = errorMessage(error);
        log.error(message);
        void vscode.window.showErrorMessage(vscode.l10n.t('CoT Studio: {0}', message));
        return undefined;
      }
    }),
  );
  registerEditingCommands(context, datasets);
  registerNavigationCommands(context, datasets);
  registerExportCommand(context, datasets, log);
  registerBuildPreferencePairsCommand(context, datasets, generation, log);
  registerStepScoreCommand(context, datasets, generation);
  registerPrelabelCommand(context, datasets, generation);
  registerCompareAnnotations(context, datasets);
  registerMergeDriverCommand(context, datasets);
}
