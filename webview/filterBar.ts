import * as l10n from '@vscode/l10n';
import type { HostMessage } from '../src/protocol';
import type { RecordFilter } from '../src/dataset/filterSchema';
import { button, element } from './dom';
import { reviewStatusName } from './reviewStatus';

type Counts = Extract<HostMessage, { type: 'filtered' }>['counts'];

const ANY = '';

/** Search and filters over the sample list, with how many records each value matches. */
export class FilterBar {
  readonly element = element('div', 'filter-bar');
  private readonly search = element('input', 'filter-search');
  private readonly format = element('select', 'filter-select');
  private readonly review = element('select', 'filter-select');
  private readonly check = element('select', 'filter-select');
  private readonly unrated = element('input');
  private readonly alternatives = element('input');
  private readonly unratedLabel = element('label', 'filter-toggle');
  private readonly alternativesLabel = element('label', 'filter-toggle');
  private readonly summary = element('span', 'filter-summary');
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly onChange: (filter: RecordFilter) => void) {
    this.element.setAttribute('role', 'search');
    this.search.type = 'search';
    this.search.placeholder = l10n.t('Search question and response');
    this.search.setAttribute('aria-label', l10n.t('Search question and response'));
    this.search.addEventListener('input', () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.changed(), 250);
    });
    for (const [select, name] of [
      [this.format, l10n.t('Filter by format')],
      [this.review, l10n.t('Filter by review status')],
      [this.check, l10n.t('Filter by failing check')],
    ] as const) {
      select.setAttribute('aria-label', name);
      select.addEventListener('change', () => this.changed());
    }
    for (const [input, label] of [
      [this.unrated, this.unratedLabel],
      [this.alternatives, this.alternativesLabel],
    ] as const) {
      input.type = 'checkbox';
      input.addEventListener('change', () => this.changed());
      // The text, with its count, is written by `update`.
      label.append(input, document.createTextNode(''));
    }
    this.update({ formats: {}, review: {}, checks: {}, unrated: 0, hasAlternatives: 0 }, 0, false);
    this.element.append(
      this.search,
      this.format,
      this.review,
      this.check,
      this.unratedLabel,
      this.alternativesLabel,
      button(l10n.t('Clear'), l10n.t('Clear filters'), () => this.clear()),
      this.summary,
    );
  }

  /** A long filter pass: how far it has read, until its result comes (`update`). */
  progress(read: number, of: number, indexing: boolean): void {
    this.summary.textContent = indexing
      ? l10n.t('Filtering... {0} of at least {1} records read', read, of)
      : l10n.t('Filtering... {0} of {1} records read', read, of);
  }

  /** Refreshes the options with their counts, keeping what the user chose. */
  update(counts: Counts, shown: number, active: boolean): void {
    this.fill(this.format, l10n.t('All formats'), counts.formats);
    this.fill(this.review, l10n.t('Any review status'), counts.review, reviewStatusName);
    this.fill(this.check, l10n.t('Any check'), counts.checks);
    if (this.unratedLabel.lastChild) this.unratedLabel.lastChild.textContent = ` ${l10n.t('Unrated ({0})', counts.unrated)}`;
    if (this.alternativesLabel.lastChild) this.alternativesLabel.lastChild.textContent = ` ${l10n.t('Has alternatives ({0})', counts.hasAlternatives)}`;
    const total = Object.values(counts.formats).reduce((sum, count) => sum + count, 0);
    this.summary.textContent = active ? l10n.t('{0} of {1} match', shown, total) : '';
  }

  /** Options for each value with its count; `name` shows a value (format and check names are shown as they are). */
  private fill(select: HTMLSelectElement, anyLabel: string, counts: Record<string, number>, name = (value: string) => value.replace('_', ' ')): void {
    const chosen = select.value;
    const options = [new Option(anyLabel, ANY)];
    for (const [value, count] of Object.entries(counts)) if (count > 0 || value === chosen) options.push(new Option(`${name(value)} (${count})`, value));
    select.replaceChildren(...options);
    select.value = options.some((option) => option.value === chosen) ? chosen : ANY;
  }

  private clear(): void {
    this.search.value = '';
    for (const select of [this.format, this.review, this.check]) select.value = ANY;
    this.unrated.checked = false;
    this.alternatives.checked = false;
    this.changed();
  }

  private changed(): void {
    const filter: RecordFilter = {};
    const text = this.search.value.trim();
    if (text) filter.text = text;
    if (this.format.value) filter.format = this.format.value as RecordFilter['format'];
    if (this.review.value) filter.review = this.review.value as RecordFilter['review'];
    if (this.check.value) filter.check = this.check.value as RecordFilter['check'];
    if (this.unrated.checked) filter.unrated = true;
    if (this.alternatives.checked) filter.hasAlternatives = true;
    this.onChange(filter);
  }
}
