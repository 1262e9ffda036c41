import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import * as l10n from '@vscode/l10n';
import { html, render, type TemplateResult } from 'lit';
import { type RecordFilter, recordFilterSchema } from '../src/dataset/filterSchema';
import { action } from './controls';
import { reviewStatusName } from './reviewStatus';
import type { FilterSummary, ViewEvent } from './state/viewState';

const ANY = '';

type Choice = 'format' | 'review' | 'check' | 'annotator';

/** Search and filters over the sample list, with how many records each value matches; the choice is the store's. */
export class FilterBar {
  readonly element = document.createElement('div');
  private timer: ReturnType<typeof setTimeout> | undefined;
  private chosen: RecordFilter = {};

  constructor(private readonly dispatch: (event: ViewEvent) => void) {
    this.element.className = 'filter-bar';
    this.element.setAttribute('role', 'search');
  }

  update(filter: FilterSummary): void {
    this.chosen = filter.chosen;
    render(this.template(filter), this.element);
  }

  private set(change: Partial<RecordFilter>): void {
    const next: Record<string, unknown> = { ...this.chosen, ...change };
    // An empty choice is no filter at all.
    for (const [key, value] of Object.entries(next)) if (value === undefined || value === ANY || value === false) delete next[key];
    const filter = recordFilterSchema.safeParse(next);
    if (filter.success) this.dispatch({ type: 'filter', filter: filter.data });
  }

  private template(filter: FilterSummary): TemplateResult {
    const { counts, chosen } = filter;
    const total = Object.values(counts.formats).reduce((sum, count) => sum + count, 0);
    const summary = filter.reading
      ? filter.reading.indexing
        ? l10n.t('Filtering... {0} of at least {1} records read', filter.reading.read, filter.reading.of)
        : l10n.t('Filtering... {0} of {1} records read', filter.reading.read, filter.reading.of)
      : filter.active
        ? l10n.t('{0} of {1} match', filter.shown, total)
        : '';
    return html`<vscode-textfield
        class="filter-search"
        type="search"
        placeholder=${l10n.t('Search question and response')}
        .label=${l10n.t('Search question and response')}
        .value=${chosen.text ?? ''}
        @input=${(event: Event) => {
          const text = (event.currentTarget as HTMLInputElement).value.trim();
          clearTimeout(this.timer);
          this.timer = setTimeout(() => this.set({ text: text || undefined }), 250);
        }}
      ></vscode-textfield>
      ${this.select('format', l10n.t('Filter by format'), l10n.t('All formats'), counts.formats, chosen.format)}
      ${this.select('review', l10n.t('Filter by review status'), l10n.t('Any review status'), counts.review, chosen.review, reviewStatusName)}
      ${this.select('check', l10n.t('Filter by failing check'), l10n.t('Any check'), counts.checks, chosen.check)}
      ${this.select('annotator', l10n.t('Filter by annotator'), l10n.t('Any annotator'), counts.annotators, chosen.annotator, (name) => name)}
      ${this.toggle('unrated', l10n.t('Unrated ({0})', counts.unrated), chosen.unrated)}
      ${this.toggle('hasAlternatives', l10n.t('Has alternatives ({0})', counts.hasAlternatives), chosen.hasAlternatives)}
      ${this.ranked(
        'disagreement',
        l10n.t('Labels disagree ({0})', counts.disagreement),
        l10n.t('Steps whose rating, suggested label and Monte Carlo score disagree, the widest first'),
        chosen,
      )}
      ${this.ranked(
        'conflicts',
        l10n.t('Conflicts and disagreements ({0})', counts.conflicts),
        l10n.t("Records where a merge kept two annotators' values to adjudicate, then those whose step labels disagree, the widest first"),
        chosen,
      )}
      ${action({
        label: l10n.t('Clear'),
        name: l10n.t('Clear filters'),
        onClick: () => {
          clearTimeout(this.timer);
          this.dispatch({ type: 'filter', filter: {} });
        },
      })}
      <span class="filter-summary">${summary}</span>`;
  }

  /** A filter that is on or off. */
  private toggle(choice: 'unrated' | 'hasAlternatives', label: string, chosen: boolean | undefined): TemplateResult {
    return html`<vscode-checkbox
      class="filter-toggle"
      .checked=${chosen === true}
      label=${label}
      @change=${(event: Event) => this.set({ [choice]: (event.currentTarget as HTMLInputElement).checked || undefined })}
    ></vscode-checkbox>`;
  }

  /** A filter that also orders what it shows: conflicts first, then the widest disagreement; the order stays while either is on. */
  private ranked(choice: 'disagreement' | 'conflicts', label: string, title: string, chosen: RecordFilter): TemplateResult {
    const other = choice === 'disagreement' ? chosen.conflicts : chosen.disagreement;
    return html`<vscode-checkbox
      class="filter-toggle filter-${choice}"
      .checked=${chosen[choice] === true}
      label=${label}
      title=${title}
      @change=${(event: Event) => {
        const on = (event.currentTarget as HTMLInputElement).checked;
        this.set({ [choice]: on || undefined, order: on || other ? 'disagreement' : undefined });
      }}
    ></vscode-checkbox>`;
  }

  /** A choice among the values found, each with its count; `name` shows a value (format and check names are shown as they are). */
  private select(
    choice: Choice,
    label: string,
    anyLabel: string,
    counts: Record<string, number>,
    chosen: string | undefined,
    name = (value: string) => value.replace('_', ' '),
  ): TemplateResult {
    const values = Object.entries(counts).filter(([value, count]) => count > 0 || value === chosen);
    return html`<vscode-single-select
      class="filter-select"
      label=${label}
      .value=${chosen ?? ANY}
      @change=${(event: Event) => this.set({ [choice]: (event.currentTarget as HTMLSelectElement).value || undefined })}
    >
      <vscode-option value=${ANY}>${anyLabel}</vscode-option>
      ${values.map(([value, count]) => html`<vscode-option value=${value}>${name(value)} (${count})</vscode-option>`)}
    </vscode-single-select>`;
  }
}
