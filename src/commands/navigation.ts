import * as vscode from 'vscode';
import { z } from 'zod';
import type { DatasetDocument, DatasetRegistry } from '../editor';
import { commandArguments, datasetArgument } from './arguments';

const goToArgsSchema = z.object({ uri: z.string().optional(), line: z.number().int().min(1).optional() }).strict();

/**
 * The record a 1-based line belongs to: the record on that line, or the next one after a blank line. A line past
 * the part of the file indexed so far is waited for, with progress.
 */
async function recordIndexAtOrAfter(document: DatasetDocument, line: number): Promise<number> {
  const { fileName } = document.dataset;
  if (!(await document.whenIndexed(vscode.l10n.t('Indexing {0} up to line {1}', fileName, line), line - 1))) {
    throw new Error(vscode.l10n.t('{0} has {1} lines; line {2} is past the end of the file', fileName, document.dataset.lineCount, line));
  }
  const { dataset } = document;
  for (
    let candidate = line - 1;
    candidate < dataset.lineCount || (await document.whenIndexed(vscode.l10n.t('Indexing {0} up to line {1}', fileName, candidate + 1), candidate));
    candidate++
  ) {
    const index = dataset.recordIndexOfLine(candidate);
    if (index !== -1) return index;
  }
  throw new Error(vscode.l10n.t('{0} has no record at or after line {1}', fileName, line));
}

function parseArgs(command: string, args: unknown): z.infer<typeof goToArgsSchema> {
  return args === undefined ? {} : commandArguments(command, goToArgsSchema, args);
}

/**
 * Moves the selection by `step` records; returns the selected line (1-based). Past the last record indexed so
 * far (the file is still being indexed) it waits for the index to reach the record.
 */
async function move(datasets: DatasetRegistry, command: string, step: number, args: unknown): Promise<number> {
  const { uri, line } = parseArgs(command, args);
  const document = datasetArgument(datasets, uri);
  const from = line !== undefined ? await recordIndexAtOrAfter(document, line) : datasets.selectionOf(document);
  const wanted = from + step;
  while (wanted >= document.dataset.recordCount && document.dataset.indexing) {
    await document.whenIndexed(vscode.l10n.t('Indexing {0} to record {1}', document.dataset.fileName, wanted + 1), document.dataset.lineCount);
  }
  const index = Math.max(0, Math.min(document.dataset.recordCount - 1, wanted));
  datasets.select(document, index);
  return document.dataset.recordLine(index) + 1;
}

export function registerNavigationCommands(context: vscode.ExtensionContext, datasets: DatasetRegistry): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.nextSample', (args?: unknown) => move(datasets, 'cotStudio.nextSample', 1, args)),
    vscode.commands.registerCommand('cotStudio.previousSample', (args?: unknown) => move(datasets, 'cotStudio.previousSample', -1, args)),
    vscode.commands.registerCommand('cotStudio.goToSample', async (args?: unknown) => {
      if (args !== undefined) return move(datasets, 'cotStudio.goToSample', 0, args);
      const answer = await vscode.window.showInputBox({
        title: vscode.l10n.t('Go to Sample'),
        prompt: vscode.l10n.t('Line number of the record'),
        validateInput: (value) => (/^\d+$/.test(value.trim()) && Number(value) >= 1 ? undefined : vscode.l10n.t('Enter a line number (1 or more)')),
      });
      return answer === undefined ? undefined : move(datasets, 'cotStudio.goToSample', 0, { line: Number(answer) });
    }),
  );
}
