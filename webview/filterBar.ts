import type { HostMessage } from '../src/protocol';
import type { RecordFilter } from '../src/dataset/filterSchema';
import { button, element } from './dom';

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
    this.search.placeholder = 'Search question and response';
    this.search.setAttribute('aria-label', 'Search question and response');
    this.search.addEventListener('input', () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.changed(), 250);
    });
    for (const [select, name] of [
      [this.format, 'Filter by format'],
      [this.review, 'Filter by review status'],
      [this.check, 'Filter by failing check'],
    ] as const) {
      select.setAttribute('aria-label', name);
      select.addEventListener('change', () => this.changed());
    }
    for (const [input, label, text] of [
      [this.unrated, this.unratedLabel, 'Unrated'],
      [this.alternatives, this.alternativesLabel, 'Has alternatives'],
    ] as const) {
      input.type = 'checkbox';
      input.addEventListener('change', () => this.changed());
      label.append(input, document.createTextNode(` ${text}`));
    }
    this.update({ formats: {}, review: {}, checks: {}, unrated: 0, hasAlternatives: 0 }, 0, false);
    this.element.append(
      this.search,
      this.format,
      this.review,
      this.check,
      this.unratedLabel,
      this.alternativesLabel,
      button('Clear', 'Clear filters', () => this.clear()),
      this.summary,
    );
  }

  /** A long filter pass: how far it has read, until its result comes (`update`). */
  progress(read: number, of: number, indexing: boolean): void {
    this.summary.textContent = `Filtering... ${read} of ${indexing ? 'at least ' : ''}${of} records read`;
  }

  /** Refreshes the options with their counts, keeping what the user chose. */
  update(counts: Counts, shown: number, active: boolean): void {
    this.fill(this.format, 'All formats', counts.formats);
    this.fill(this.review, 'Any review status', counts.review);
    this.fill(this.check, 'Any check', counts.checks);
    if (this.unratedLabel.lastChild) this.unratedLabel.lastChild.textContent = ` Unrated (${counts.unrated})`;
    if (this.alternativesLabel.lastChild) this.alternativesLabel.lastChild.textContent = ` Has alternatives (${counts.hasAlternatives})`;
    const total = Object.values(counts.formats).reduce((sum, count) => sum + count, 0);
    this.summary.textContent = active ? `${shown} of ${total} match` : '';
  }

  private fill(select: HTMLSelectElement, anyLabel: string, counts: Record<string, number>): void {
    const chosen = select.value;
    const options = [new Option(anyLabel, ANY)];
    for (const [value, count] of Object.entries(counts))
      if (count > 0 || value === chosen) options.push(new Option(`${value.replace('_', ' ')} (${count})`, value));
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
