import * as vscode from 'vscode';
import { z } from 'zod';
import type { DatasetEditorProvider } from '../editor';
import { uriFromArgument } from './uri';

const goToArgsSchema = z.object({ uri: z.string().optional(), line: z.number().int().min(1).optional() }).strict();

/** The record a 1-based line belongs to: the record on that line, or the next one after a blank line. */
function recordIndexAtOrAfter(provider: DatasetEditorProvider, uri: vscode.Uri | undefined, line: number): number {
  const { dataset } = provider.documentFor(uri);
  for (let candidate = line - 1; candidate < dataset.lineCount; candidate++) {
    const index = dataset.recordIndexOfLine(candidate);
    if (index !== -1) return index;
  }
  throw new Error(`${dataset.fileName} has no record at or after line ${line}`);
}

function parseArgs(command: string, args: unknown): z.infer<typeof goToArgsSchema> {
  if (args === undefined) return {};
  const parsed = goToArgsSchema.safeParse(args);
  if (!parsed.success) throw new Error(`${command}: expected {uri?: string, line?: number}, got ${JSON.stringify(args)}`);
  return parsed.data;
}

/** Moves the selection by `step` records; returns the selected line (1-based). */
function move(provider: DatasetEditorProvider, command: string, step: number, args: unknown): number {
  const { uri, line } = parseArgs(command, args);
  const target = uri === undefined ? undefined : uriFromArgument(uri);
  const document = provider.documentFor(target);
  const from = line !== undefined ? recordIndexAtOrAfter(provider, target, line) : provider.selectionOf(document);
  const index = Math.max(0, Math.min(document.dataset.recordCount - 1, from + step));
  provider.select(document, index);
  return document.dataset.recordLine(index) + 1;
}

export function registerNavigationCommands(context: vscode.ExtensionContext, provider: DatasetEditorProvider): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('cotStudio.nextSample', (args?: unknown) => move(provider, 'cotStudio.nextSample', 1, args)),
    vscode.commands.registerCommand('cotStudio.previousSample', (args?: unknown) => move(provider, 'cotStudio.previousSample', -1, args)),
    vscode.commands.registerCommand('cotStudio.goToSample', async (args?: unknown) => {
      if (args !== undefined) return move(provider, 'cotStudio.goToSample', 0, args);
      const answer = await vscode.window.showInputBox({
        title: 'Go to Sample',
        prompt: 'Line number of the record',
        validateInput: (value) => (/^\d+$/.test(value.trim()) && Number(value) >= 1 ? undefined : 'Enter a line number (1 or more)'),
      });
      return answer === undefined ? undefined : move(provider, 'cotStudio.goToSample', 0, { line: Number(answer) });
    }),
  );
}
