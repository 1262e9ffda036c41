import * as vscode from 'vscode';
import { readRecordState } from '../dataset/operations';
import { RecordError } from '../dataset/recordEdit';
import { resolveReply } from '../dataset/replies';
import type { DatasetRegistry, DatasetSelection } from '../editor';

/** The label of a segment of the selected record, or undefined when it has none or cannot be read. */
function segmentLabel(selection: DatasetSelection): string | undefined {
  const { focus } = selection;
  if (focus === undefined) return undefined;
  const { dataset } = selection.document;
  try {
    const { parsed } = readRecordState(dataset.lineText(dataset.recordLine(selection.index)), dataset.format);
    const reply = resolveReply(parsed, focus);
    const label = reply.response.segments[focus.segment]?.label;
    if (label === undefined) return undefined;
    return reply.model !== undefined ? `${label} (${reply.model})` : reply.turn === 0 ? label : vscode.l10n.t('{0} (turn {1})', label, reply.turn);
  } catch (error) {
    if (error instanceof RecordError) return undefined;
    throw error;
  }
}

/** Shows the selected line, segment and review progress of the dataset editor in front. */
export function registerStatusBar(context: vscode.ExtensionContext, datasets: DatasetRegistry): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem('cotStudio.selection', vscode.StatusBarAlignment.Right, 100);
  item.name = vscode.l10n.t('CoT Studio Selection');
  item.command = 'cotStudio.goToSample';
  context.subscriptions.push(item);
  const update = (selection: DatasetSelection | undefined) => {
    if (!selection || selection.document.dataset.recordCount === 0) {
      item.hide();
      return;
    }
    const { dataset } = selection.document;
    const line = dataset.recordLine(Math.min(selection.index, dataset.recordCount - 1)) + 1;
    const label = segmentLabel(selection);
    const { reviewed, total, known } = selection.document.facts.counts();
    const complete = known === total;
    const progress = complete ? vscode.l10n.t('{0}/{1} reviewed', reviewed, total) : vscode.l10n.t('{0}/{1} reviewed (counting)', reviewed, total);
    const where = label ? vscode.l10n.t('Line {0} · {1}', line, label) : vscode.l10n.t('Line {0}', line);
    item.text = `$(list-selection) ${where} · ${progress}`;
    item.tooltip = label
      ? vscode.l10n.t('{0}: line {1}, {2}. {3}. Click to go to another sample.', dataset.fileName, line, label, progress)
      : vscode.l10n.t('{0}: line {1}. {2}. Click to go to another sample.', dataset.fileName, line, progress);
    item.show();
  };
  context.subscriptions.push(datasets.onDidChangeSelection(update));
  return item;
}
