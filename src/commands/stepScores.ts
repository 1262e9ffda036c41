import * as vscode from 'vscode';
import { z } from 'zod';
import { sideSchema } from '../dataset/replies';
import type { DatasetRegistry } from '../editor';
import { errorMessage } from '../errors/message';
import type { GenerationService } from '../generation';
import { readSetting } from '../settings/reader';
import { type MonteCarloResult, monteCarloOptionsSchema, monteCarloScores } from '../stepLabels/monteCarlo';
import { commandArguments, datasetArgument } from './arguments';
import { replyForModel } from './replyForModel';

export const scoreStepsArgsSchema = z
  .object({
    uri: z.string().optional(),
    /** 1-based; the selected record when left out. */
    line: z.number().int().min(1).optional(),
    side: sideSchema.optional(),
    turn: z.number().int().min(0).optional(),
    rollouts: monteCarloOptionsSchema.shape.rollouts,
    search: monteCarloOptionsSchema.shape.search,
    seed: z.number().int().min(0).optional(),
  })
  .strict();

/**
 * `cotStudio.scoreStepsByRollouts`: Monte Carlo step scores of a record's reply with the configured model as the
 * policy, stored beside the steps (`setStepScores`, one undoable edit); the window shows the run and can cancel it.
 */
export function registerStepScoreCommand(context: vscode.ExtensionContext, datasets: DatasetRegistry, generation: GenerationService): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.scoreStepsByRollouts', async (args?: unknown): Promise<MonteCarloResult | undefined> => {
      try {
        const run = commandArguments('cotStudio.scoreStepsByRollouts', scoreStepsArgsSchema, args ?? {});
        const document = datasetArgument(datasets, run.uri);
        const { line, record, side, turn } = replyForModel(datasets, document, run);
        const backend = await generation.backend();
        const title = vscode.l10n.t('CoT Studio: scoring the steps of line {0} by rollouts', line);
        return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (_, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          const options = { rollouts: run.rollouts, search: run.search, maxTokens: readSetting('regenerate.maxTokens'), seed: run.seed ?? 0 };
          const result = await monteCarloScores(backend, record, { side, turn }, options, controller.signal);
          if (controller.signal.aborted) return undefined;
          document.applyOperation({
            kind: 'setStepScores',
            line,
            side,
            turn,
            steps: result.steps.map(({ index, score, correct, total }) => ({ segment: index, score, correct, total })),
            policy: result.policy,
            rollouts: result.rollouts,
          });
          return result;
        });
      } catch (error) {
        void vscode.window.showErrorMessage(vscode.l10n.t('CoT Studio: {0}', errorMessage(error)));
        return undefined;
      }
    }),
  );
}
