import * as vscode from 'vscode';
import { z } from 'zod';
import { sideSchema } from '../dataset/replies';
import type { DatasetRegistry } from '../editor';
import { errorMessage } from '../errors/message';
import type { GenerationService } from '../generation';
import { readSetting } from '../settings/reader';
import { judgeLabeller, labellerKindSchema, type PrelabelResult, prelabelOperation, prelabelSteps, rewardModelLabeller } from '../stepLabels/prelabel';
import { commandArguments, datasetArgument } from './arguments';
import { replyForModel } from './replyForModel';

export const prelabelArgsSchema = z
  .object({
    uri: z.string().optional(),
    /** 1-based; the selected record when left out. */
    line: z.number().int().min(1).optional(),
    side: sideSchema.optional(),
    turn: z.number().int().min(0).optional(),
    /** Who suggests; `cotStudio.prelabel.labeller` when left out. */
    labeller: labellerKindSchema.optional(),
    seed: z.number().int().min(0).optional(),
  })
  .strict();

/**
 * `cotStudio.prelabelSteps`: suggested labels for every step of a record's reply from the step judge or the process
 * reward model, stored apart from the ratings (`setPrelabels`, one undoable edit) for a person to confirm or override.
 */
export function registerPrelabelCommand(context: vscode.ExtensionContext, datasets: DatasetRegistry, generation: GenerationService): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.prelabelSteps', async (args?: unknown): Promise<PrelabelResult | undefined> => {
      try {
        const run = commandArguments('cotStudio.prelabelSteps', prelabelArgsSchema, args ?? {});
        const document = datasetArgument(datasets, run.uri);
        const { line, record, side, turn } = replyForModel(datasets, document, run);
        const kind = run.labeller ?? readSetting('prelabel.labeller');
        // The step judge is the server the settings name for it, else the generation backend.
        const judgeUrl = readSetting('prelabel.judgeBaseUrl');
        const judge = judgeUrl ? await generation.server({ baseUrl: judgeUrl, model: readSetting('prelabel.judgeModel') }) : await generation.backend();
        let labeller = judgeLabeller(judge, readSetting('judge.templates'));
        if (kind === 'reward-model') {
          const access = generation.rewardModel();
          if (!access) throw new Error(vscode.l10n.t('pre-labelling by a reward model needs one: set cotStudio.rewardModel.model to a model folder'));
          labeller = rewardModelLabeller(access);
        } else if (!judgeUrl && generation.usesSampleModel()) {
          throw new Error(
            vscode.l10n.t(
              'the sample model gives no verdicts: choose a model or a server (cotStudio.backend), or a reward model (cotStudio.prelabel.labeller)',
            ),
          );
        }
        const title = vscode.l10n.t('CoT Studio: pre-labelling the steps of line {0}', line);
        return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (_, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          const result = await prelabelSteps(labeller, record, { side, turn }, judge, { seed: run.seed ?? 0, signal: controller.signal });
          if (result.steps.length > 0) document.applyOperation({ kind: 'setPrelabels', line, side, turn, ...prelabelOperation(result) });
          if (result.missing.length > 0) {
            void vscode.window.showWarningMessage(
              vscode.l10n.t(
                'CoT Studio: no suggestion for {0} of {1} steps (the labeller gave no verdict)',
                result.missing.length,
                result.missing.length + result.steps.length,
              ),
            );
          }
          return result;
        });
      } catch (error) {
        if (error instanceof DOMException && error.name === 'AbortError') return undefined;
        void vscode.window.showErrorMessage(vscode.l10n.t('CoT Studio: {0}', errorMessage(error)));
        return undefined;
      }
    }),
  );
}
