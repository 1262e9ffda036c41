import * as path from 'node:path';
import * as vscode from 'vscode';
import { z } from 'zod';
import type { DatasetEditorProvider } from '../editor';
import { exportDatasetRecords, exportFormatSchema, type ExportFormat, type ExportResult } from '../export';
import { uriFromArgument } from './uri';

const exportArgsSchema = z
  .object({
    uri: z.string().optional(),
    format: exportFormatSchema,
    output: z.string(),
    images: z.enum(['path', 'data-uri']).optional(),
    neutralLabel: z.boolean().optional(),
    includeRejected: z.boolean().optional(),
  })
  .strict();
type ExportArgs = z.infer<typeof exportArgsSchema>;

const FORMAT_DESCRIPTIONS: Record<ExportFormat, string> = {
  'trl-sft': 'TRL SFT, conversational messages + images',
  'trl-dpo': 'TRL preference: prompt / chosen / rejected',
  'trl-stepwise': 'TRL stepwise supervision (PRM): prompt / completions / labels',
  'llamafactory-sharegpt': 'LLaMA-Factory sharegpt + dataset_info.json',
  'openai-chat': 'OpenAI chat fine-tuning JSONL',
  'openai-dpo': 'OpenAI preference fine-tuning JSONL',
  prm800k: 'PRM800K step labels',
  mmpr: 'MMPR / MPO pairs + meta.json',
  mulberry: 'Mulberry SFT with ### sections and reflections',
};

async function askForArgs(dataset: string, uri: vscode.Uri): Promise<ExportArgs | undefined> {
  const picked = await vscode.window.showQuickPick(
    exportFormatSchema.options.map((format) => ({ label: format, description: FORMAT_DESCRIPTIONS[format], format })),
    { title: `Export ${dataset}`, placeHolder: 'Choose the format a trainer reads' },
  );
  if (!picked) return undefined;
  const base = path.basename(uri.fsPath, '.jsonl');
  const target = await vscode.window.showSaveDialog({
    title: `Export ${dataset} as ${picked.format}`,
    defaultUri: vscode.Uri.joinPath(uri, '..', `${base}.${picked.format}.jsonl`),
    filters: { 'JSON Lines': ['jsonl'] },
  });
  return target ? { format: picked.format, output: target.fsPath } : undefined;
}

/** `cotStudio.export {format, output}`: writes the open dataset, unsaved edits included, in a trainer's format. */
export function registerExportCommand(context: vscode.ExtensionContext, provider: DatasetEditorProvider, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.export', async (raw?: unknown): Promise<ExportResult | undefined> => {
      let args: ExportArgs | undefined;
      if (raw === undefined) {
        const document = provider.documentFor();
        args = await askForArgs(document.dataset.fileName, document.uri);
        if (!args) return undefined;
        args.uri = document.uri.toString();
      } else {
        const parsed = exportArgsSchema.safeParse(raw);
        if (!parsed.success) {
          const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`).join('; ');
          throw new Error(`cotStudio.export: invalid arguments (${issues})`);
        }
        args = parsed.data;
      }
      const document = provider.documentFor(args.uri === undefined ? undefined : uriFromArgument(args.uri));
      const output = path.resolve(path.dirname(document.uri.fsPath), args.output);
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Exporting ${document.dataset.fileName} as ${args.format}` }, () =>
        exportDatasetRecords(document.dataset, args.format, {
          datasetDir: path.dirname(document.uri.fsPath),
          outputPath: output,
          images: args.images ?? 'path',
          neutralLabel: args.neutralLabel ?? true,
          includeRejected: args.includeRejected ?? false,
        }, document.dataset.format),
      );
      for (const refusal of result.refusals) log.warn(`${document.dataset.fileName}:${refusal.line}: not exported: ${refusal.reason}`);
      const message = `Exported ${result.written} ${args.format} lines to ${path.basename(output)}${result.refusals.length > 0 ? `; ${result.refusals.length} records refused (see the CoT Studio output)` : ''}.`;
      if (raw === undefined) {
        if (result.refusals.length > 0) {
          void vscode.window.showWarningMessage(message, 'Show Refusals').then((choice) => choice && log.show());
        } else {
          void vscode.window.showInformationMessage(message);
        }
      }
      return result;
    }),
  );
}
