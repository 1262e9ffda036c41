import { randomInt } from 'node:crypto';
import * as vscode from 'vscode';
import { z } from 'zod';
import { ImageResolver } from '../dataset/images';
import type { DatasetDocument, DatasetRegistry } from '../editor';
import type { GenerationService } from '../generation';
import { recordLines } from '../dataset/recordLines';
import { buildPairs, describeSummary, type PairSummary, pairSettingsSchema } from '../preferencePairs';
import { commandArguments, datasetArgument } from './arguments';
import { errorMessage } from '../errors/message';

export type { PairSummary } from '../preferencePairs';

export const buildPreferencePairsArgsSchema = pairSettingsSchema
  .extend({
    uri: z.string().optional(),
    /** 1-based lines of the records to pair; every record when left out. */
    lines: z.array(z.number().int().min(1)).min(1).optional(),
  })
  .strict();
export type BuildPreferencePairsArgs = z.input<typeof buildPreferencePairsArgsSchema>;

/** From the palette: which records get pairs. */
async function askWithoutImage(samples: number): Promise<boolean | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      {
        label: vscode.l10n.t('Records with a ground truth'),
        detail: vscode.l10n.t('Sample {0} answers to each question; pair correct answers against wrong ones and ones without a stated answer', samples),
        withoutImage: false,
      },
      {
        label: vscode.l10n.t('Every record'),
        detail: vscode.l10n.t('As above, and pair each record without a ground truth: its response against its first half continued without the image'),
        withoutImage: true,
      },
    ],
    { title: vscode.l10n.t('Build Preference Pairs (MPO)'), placeHolder: vscode.l10n.t('Which records get pairs') },
  );
  return picked?.withoutImage;
}

/**
 * `cotStudio.buildPreferencePairs {uri?, lines?, samples?, maxPairs?, temperature?, maxTokens?, seed?, withoutImage?}`:
 * MPO's pairs for the open dataset's records with the generation backend from the settings, in a cancellable
 * notification. Each record's pairs are one undoable edit, added as soon as they are made, so a cancel keeps
 * what was done. Resolves with the run's summary. One run at a time per dataset.
 */
export function registerBuildPreferencePairsCommand(
  context: vscode.ExtensionContext,
  datasets: DatasetRegistry,
  generation: GenerationService,
  log: vscode.LogOutputChannel,
): void {
  const running = new Set<string>();

  const build = async (document: DatasetDocument, args: z.output<typeof buildPreferencePairsArgsSchema>): Promise<PairSummary> => {
    const uri = document.uri.toString();
    const { fileName } = document.dataset;
    if (running.has(uri)) throw new Error(vscode.l10n.t('{0}: preference pairs are already being built; cancel that run first', fileName));
    running.add(uri);
    try {
      const lines = recordLines(document.dataset, args.lines);
      const backend = await generation.backend();
      const [datasetDir, ...roots] = document.imageRoots();
      const images = new ImageResolver(datasetDir, roots);
      const seed = args.seed ?? randomInt(0, 2 ** 31);
      const summary = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('CoT Studio: building preference pairs for {0}', fileName), cancellable: true },
        async (progress, token) => {
          const controller = new AbortController();
          const cancelling = token.onCancellationRequested(() => controller.abort());
          try {
            return await buildPairs({
              job: { backend, settings: args, images, signal: controller.signal },
              lines,
              lineText: (line) => document.dataset.lineText(line - 1),
              format: document.dataset.format,
              seed,
              onPairs: (line, pairs) => document.applyOperation({ kind: 'addPreferencePairs', uri, line, pairs }),
              onRecord: (done) => progress.report({ increment: 100 / lines.length, message: vscode.l10n.t('{0} / {1} records', done, lines.length) }),
            });
          } finally {
            cancelling.dispose();
          }
        },
      );
      for (const failure of summary.failed) log.warn(`${fileName}:${failure.line}: no preference pairs: ${failure.reason}`);
      log.info(`${fileName}: ${describeSummary(summary)}`);
      return summary;
    } finally {
      running.delete(uri);
    }
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.buildPreferencePairs', async (raw?: unknown): Promise<PairSummary | undefined> => {
      if (raw === undefined) {
        try {
          const document = datasets.documentFor();
          const defaults = buildPreferencePairsArgsSchema.parse({});
          const withoutImage = await askWithoutImage(defaults.samples);
          if (withoutImage === undefined) return undefined;
          const summary = await build(document, { ...defaults, withoutImage });
          const message = vscode.l10n.t('CoT Studio: {0}.', describeSummary(summary));
          if (summary.failed.length > 0) void vscode.window.showWarningMessage(message, vscode.l10n.t('Show Log')).then((choice) => choice && log.show());
          else void vscode.window.showInformationMessage(message);
          return summary;
        } catch (error) {
          void vscode.window.showErrorMessage(vscode.l10n.t('CoT Studio: {0}', errorMessage(error)));
          return undefined;
        }
      }
      const args = commandArguments('cotStudio.buildPreferencePairs', buildPreferencePairsArgsSchema, raw);
      return build(datasetArgument(datasets, args.uri), args);
    }),
  );
}
