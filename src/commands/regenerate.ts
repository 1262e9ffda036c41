import * as vscode from 'vscode';
import { z } from 'zod';
import type { DatasetRegistry } from '../editor';
import { errorMessage } from '../errors/message';
import type { RegenerationService } from '../regeneration/regenerationService';
import { type RegenerateResult, regenerationRunSchema } from '../search/regeneration';
import { commandArguments, datasetArgument } from './arguments';

export type { RegenerateResult } from '../search/regeneration';

export const regenerateArgsSchema = regenerationRunSchema.extend({ uri: z.string().optional() }).strict();
export type RegenerateArgs = z.input<typeof regenerateArgsSchema>;

/**
 * `cotStudio.regenerateSegment` (with arguments, or on the focused segment), `cotStudio.treeSearchSegment` and
 * `cotStudio.cancelRegeneration`: the palette's and other extensions' way to the regeneration service.
 */
export function registerRegenerateCommands(context: vscode.ExtensionContext, datasets: DatasetRegistry, regenerations: RegenerationService): void {
  /** A run on the segment focused in the front dataset editor; errors are shown, not thrown. */
  async function fromPalette(method: 'beam' | 'mcts'): Promise<RegenerateResult | undefined> {
    try {
      const document = datasets.documentFor();
      const line = document.dataset.recordLine(datasets.selectionOf(document)) + 1;
      const focus = datasets.focusOf(document);
      if (focus === undefined) throw new Error(vscode.l10n.t('focus a segment in the sample view first (arrow keys or a click)'));
      const { model, ...at } = focus;
      if (model !== undefined) throw new Error(vscode.l10n.t("the path of {0} is a search result to rate and edit; regenerate the record's first path", model));
      return await regenerations.regenerate(document, { line, ...at, method });
    } catch (error) {
      void vscode.window.showErrorMessage(vscode.l10n.t('CoT Studio: {0}', errorMessage(error)));
      return undefined;
    }
  }

  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.regenerateSegment', async (args?: unknown): Promise<RegenerateResult | undefined> => {
      if (args === undefined) return fromPalette('beam');
      const { uri, ...run } = commandArguments('cotStudio.regenerateSegment', regenerateArgsSchema, args);
      return regenerations.regenerate(datasetArgument(datasets, uri), run);
    }),
    vscode.commands.registerCommand('cotStudio.treeSearchSegment', () => fromPalette('mcts')),
    vscode.commands.registerCommand('cotStudio.cancelRegeneration', (args?: unknown) => {
      const { uri } = commandArguments('cotStudio.cancelRegeneration', z.object({ uri: z.string().optional() }).strict(), args ?? {});
      // With nothing running there is nothing to cancel, whether or not a dataset is open.
      if (!regenerations.busy) return;
      regenerations.cancel(datasetArgument(datasets, uri));
    }),
  );
}
