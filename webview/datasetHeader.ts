import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import * as l10n from '@vscode/l10n';
import { html, nothing, type TemplateResult } from 'lit';
import type { DatasetHeader, ViewState } from './state/viewState';

/** The record count: exact once the file is indexed, "at least" while it is. */
function counts(header: DatasetHeader): TemplateResult {
  const { records, lines, indexing } = header;
  const name = indexing === undefined ? l10n.t('{0} records', records) : l10n.t('at least {0} records', records);
  const text =
    indexing === undefined
      ? l10n.t('{0} records on {1} lines', records, lines)
      : indexing === null
        ? l10n.t('at least {0} records on {1} lines (indexing)', records, lines)
        : l10n.t('at least {0} records on {1} lines (indexing, {2}%)', records, lines, indexing);
  return html`<vscode-badge variant="counter" aria-label=${name}>${indexing === undefined ? `${records}` : `≥ ${records}`}</vscode-badge
    ><span class="dataset-lines">${text}</span>`;
}

/** The file's name, its counts, how far the review got, and the line under it that says what is wrong. */
export function datasetHeader(state: ViewState): TemplateResult {
  const { header, reviewed, status } = state;
  const progress = reviewed
    ? reviewed.complete
      ? l10n.t('{0} / {1} reviewed', reviewed.reviewed, reviewed.total)
      : l10n.t('{0} / {1} reviewed (counting)', reviewed.reviewed, reviewed.total)
    : '';
  const line = status.kind === 'empty' ? l10n.t('This file has no records.') : status.kind === 'error' ? status.message : '';
  return html`<header class="dataset-header">
      <h1 class="dataset-title">${header?.fileName ?? ''}</h1>
      ${header ? counts(header) : nothing}
      <span class="dataset-progress" aria-label=${l10n.t('Review progress')}>${progress}</span>
      <span class="dataset-help">${l10n.t('Press ? for shortcuts')}</span>
      ${state.loading ? html`<vscode-progress-ring aria-label=${l10n.t('Reading the dataset')}></vscode-progress-ring>` : nothing}
    </header>
    <p class="dataset-status${status.kind === 'error' ? ' error' : ''}" role="status">${line}</p>`;
}
