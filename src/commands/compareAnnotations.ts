import * as path from 'node:path';
import * as vscode from 'vscode';
import { z } from 'zod';
import { type AgreementReport, compareAnnotators } from '../agreement/compare';
import { copyNames, labelsOf, readLabels } from '../agreement/copies';
import { formatAgreement } from '../agreement/report';
import type { DatasetRegistry } from '../editor';
import { errorMessage } from '../errors/message';
import { commandArguments, datasetArgument } from './arguments';

const argsSchema = z
  .object({
    uri: z.string().optional(),
    /** Other annotators' copies of the dataset (paths); asked for when left out. */
    files: z.array(z.string().min(1)).min(1).max(64).optional(),
  })
  .strict();

/**
 * "CoT Studio: Compare Annotations With...": how much the open dataset's annotations agree with other copies of it
 * (other annotators' files): the report of `cot-studio agreement`, the open copy read with its unsaved edits.
 */
export function registerCompareAnnotations(context: vscode.ExtensionContext, datasets: DatasetRegistry): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.compareAnnotations', async (args?: unknown): Promise<AgreementReport | undefined> => {
      try {
        const run = commandArguments('cotStudio.compareAnnotations', argsSchema, args ?? {});
        const document = datasetArgument(datasets, run.uri);
        const files =
          run.files ??
          (
            await vscode.window.showOpenDialog({
              canSelectMany: true,
              filters: { JSONL: ['jsonl'] },
              openLabel: vscode.l10n.t('Compare'),
              title: vscode.l10n.t('Copies of {0} by other annotators', document.dataset.fileName),
            })
          )?.map((uri) => uri.fsPath);
        if (!files || files.length === 0) return undefined;
        const { dataset } = document;
        const format = dataset.format;
        const open = function* (): Generator<string> {
          for (let index = 0; index < dataset.recordCount; index++) yield dataset.lineText(dataset.recordLine(index));
        };
        const names = [dataset.fileName, ...files.map((file) => path.basename(file))].map((name, i, all) =>
          all.indexOf(name) === i ? name : `${name} (${i + 1})`,
        );
        const copies = await Promise.all([
          labelsOf(open(), names[0] as string, format),
          ...files.map((file, i) => readLabels({ file, ref: undefined }, names[i + 1] as string, format)),
        ]);
        // A copy whose labels all name one annotator is called by that name.
        const signed = copyNames(copies, names);
        const report = compareAnnotators(copies.map(({ labels }, i) => ({ ...labels, name: signed[i] as string })));
        const shown = await vscode.workspace.openTextDocument({ content: `${formatAgreement(report)}\n`, language: 'plaintext' });
        await vscode.window.showTextDocument(shown, { viewColumn: vscode.ViewColumn.Beside, preview: true });
        return report;
      } catch (error) {
        void vscode.window.showErrorMessage(vscode.l10n.t('CoT Studio: {0}', errorMessage(error)));
        return undefined;
      }
    }),
  );
}
