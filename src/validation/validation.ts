import * as vscode from 'vscode';
import { z } from 'zod';
import type { CheckResult } from '../dataset/checks';
import { checkDatasetLine } from '../dataset/validate';
import { commandArguments, datasetArgument } from '../commands/arguments';
import type { DatasetDocument, DatasetRegistry } from '../editor';
import type { CheckedRecords } from '../dataset/factTable';

/** Files up to this size show their checks as soon as they open; larger ones when the user asks. */
const CHECK_ON_OPEN_BYTES = 50 * 1024 * 1024;
/** Records checked between yields to the event loop, so the editor stays responsive. */
const BATCH = 500;

const validateArgsSchema = z.object({ uri: z.string().optional() }).strict();

export interface ValidationSummary {
  records: number;
  errors: number;
  warnings: number;
}

function toDiagnostic(line: number, result: CheckResult): vscode.Diagnostic {
  const range = result.range
    ? new vscode.Range(line - 1, result.range[0], line - 1, result.range[1])
    : new vscode.Range(line - 1, 0, line - 1, Number.MAX_SAFE_INTEGER);
  const severity = result.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
  const diagnostic = new vscode.Diagnostic(range, result.message, severity);
  diagnostic.source = 'CoT Studio';
  diagnostic.code = result.check;
  return diagnostic;
}

/** Runs the checks of every record and keeps the Problems panel in step with edits. */
export class Validation implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('cot-studio');
  /** Diagnostics per document and 1-based line, so an edit rechecks only its lines. */
  private readonly byLine = new Map<string, Map<number, vscode.Diagnostic[]>>();

  /**
   * The full report: the editor's one pass over the records (its fact table) knows which records fail a check;
   * once it has read them all, only those are read again, for their messages and ranges.
   */
  async validate(document: DatasetDocument, token?: vscode.CancellationToken, progress?: vscode.Progress<{ increment: number }>): Promise<ValidationSummary> {
    // Cancelled while the pass reads, the report is of the records read so far; the pass itself goes on for the editor.
    const cancelled = new Promise<void>((resolve) => token?.onCancellationRequested(() => resolve()));
    await this.whileCounting(document, Promise.race([document.facts.fill(), cancelled]), progress);
    const context = document.checkContext();
    const lines = new Map<number, vscode.Diagnostic[]>();
    const { dataset } = document;
    let done = 0;
    for (const index of document.facts.failing()) {
      if (++done % BATCH === 0) {
        if (token?.isCancellationRequested) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      const { line, results } = checkDatasetLine(dataset, dataset.recordLine(index), context);
      if (results.length > 0)
        lines.set(
          line,
          results.map((result) => toDiagnostic(line, result)),
        );
    }
    this.byLine.set(document.uri.toString(), lines);
    this.publish(document.uri);
    return this.summary(document);
  }

  /** Reports how far the pass has read while it reads, in the notification's percent. */
  private async whileCounting(document: DatasetDocument, pass: Promise<void>, progress?: vscode.Progress<{ increment: number }>): Promise<void> {
    let reported = 0;
    const report = () => {
      const total = document.dataset.recordCount;
      const percent = total === 0 ? 100 : (document.facts.readCount / total) * 100;
      if (percent > reported) progress?.report({ increment: percent - reported });
      reported = Math.max(reported, percent);
    };
    const subscription = document.onDidCheckRecords(report);
    try {
      await pass;
    } finally {
      subscription.dispose();
    }
    report();
  }

  /**
   * Takes the results of records the document's background pass (or an edit) just checked; ignored for a
   * file that is not being validated (a large file until the user runs Validate Dataset).
   */
  take(document: DatasetDocument, checked: CheckedRecords, always: boolean): void {
    const key = document.uri.toString();
    if (!this.byLine.has(key)) {
      if (!always) return;
      this.byLine.set(key, new Map());
    }
    const known = this.byLine.get(key) as Map<number, vscode.Diagnostic[]>;
    for (const { line, results } of checked) {
      if (results.length > 0)
        known.set(
          line + 1,
          results.map((result) => toDiagnostic(line + 1, result)),
        );
      else known.delete(line + 1);
    }
    this.publish(document.uri);
  }

  clear(uri: vscode.Uri): void {
    this.byLine.delete(uri.toString());
    this.diagnostics.delete(uri);
  }

  dispose(): void {
    this.diagnostics.dispose();
  }

  private summary(document: DatasetDocument): ValidationSummary {
    const all = [...(this.byLine.get(document.uri.toString())?.values() ?? [])].flat();
    const errors = all.filter((d) => d.severity === vscode.DiagnosticSeverity.Error).length;
    return { records: document.dataset.recordCount, errors, warnings: all.length - errors };
  }

  private publish(uri: vscode.Uri): void {
    const lines = this.byLine.get(uri.toString());
    this.diagnostics.set(uri, lines ? [...lines.entries()].sort(([a], [b]) => a - b).flatMap(([, list]) => list) : []);
  }
}

export function registerValidation(context: vscode.ExtensionContext, datasets: DatasetRegistry): Validation {
  const validation = new Validation();
  context.subscriptions.push(validation);
  const watch = (document: DatasetDocument) => {
    const small = document.dataset.byteLength <= CHECK_ON_OPEN_BYTES;
    const subscription = document.onDidCheckRecords((checked) => validation.take(document, checked, small));
    document.onDidDispose(() => {
      subscription.dispose();
      validation.clear(document.uri);
    });
  };
  context.subscriptions.push(
    datasets.onDidOpenDocument(watch),
    vscode.commands.registerCommand('cotStudio.validateDataset', async (args?: unknown): Promise<ValidationSummary | undefined> => {
      const { uri } = commandArguments('cotStudio.validateDataset', validateArgsSchema, args ?? {});
      const document = datasetArgument(datasets, uri);
      const summary = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Checking {0}', document.dataset.fileName), cancellable: true },
        (progress, token) => validation.validate(document, token, progress),
      );
      if (args === undefined) {
        void vscode.window.showInformationMessage(
          vscode.l10n.t('{0}: {1} records, {2} errors, {3} warnings.', document.dataset.fileName, summary.records, summary.errors, summary.warnings),
        );
        if (summary.errors + summary.warnings > 0) void vscode.commands.executeCommand('workbench.actions.view.problems');
      }
      return summary;
    }),
  );
  return validation;
}
