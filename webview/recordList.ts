import * as l10n from '@vscode/l10n';
import { html, nothing, render, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { RecordSummary } from '../src/protocol';
import { icon } from './controls';
import { reviewStatusName } from './reviewStatus';

const REVIEW_ICONS: Record<Exclude<RecordSummary['review'], 'unreviewed'>, string> = {
  accepted: 'pass',
  rejected: 'circle-slash',
  needs_fix: 'tools',
};

const ROW_HEIGHT = 28;
const PAGE_SIZE = 100;
/** Pages kept in memory; the rest are asked for again when scrolled back to, so large files stay cheap. */
const MAX_CACHED_PAGES = 40;
const OVERSCAN_ROWS = 10;

export interface RecordListOptions {
  requestPage(start: number, count: number): void;
  /** A row was chosen by key (`reveal`) or by a click. */
  select(position: number, reveal: boolean): void;
}

/**
 * A virtual list of records: only the rows in view exist in the DOM, and records arrive a page at a time
 * from the host. Text from the dataset goes in as text only.
 */
export class RecordList {
  readonly element: HTMLElement;
  private readonly spacer: HTMLElement;
  /** The rows drawn, placed at the first one's offset (set through the style object: the page's policy allows no style attributes). */
  private readonly rows: HTMLElement;
  private readonly pages = new Map<number, RecordSummary[]>();
  private readonly requested = new Set<number>();
  private recordCount = 0;
  private selected = 0;
  private frame = 0;

  constructor(private readonly options: RecordListOptions) {
    this.element = document.createElement('div');
    this.element.className = 'record-list';
    this.element.setAttribute('role', 'listbox');
    this.element.setAttribute('aria-label', l10n.t('Samples'));
    this.element.tabIndex = 0;
    this.spacer = document.createElement('div');
    this.spacer.className = 'record-list-spacer';
    this.rows = document.createElement('div');
    this.rows.className = 'record-rows';
    this.spacer.append(this.rows);
    this.element.append(this.spacer);
    this.element.addEventListener('scroll', () => this.scheduleRender());
    this.element.addEventListener('keydown', (event) => this.onKey(event));
    new ResizeObserver(() => this.scheduleRender()).observe(this.element);
  }

  setRecordCount(count: number): void {
    this.recordCount = count;
    this.selected = Math.min(this.selected, Math.max(0, count - 1));
    this.pages.clear();
    this.requested.clear();
    this.spacer.style.height = `${count * ROW_HEIGHT}px`;
    this.scheduleRender();
  }

  /** More records were found at the end (the file is still being indexed): pages already here stay, a short last one is asked for again. */
  grow(count: number): void {
    if (count <= this.recordCount) return;
    const lastPage = Math.floor(Math.max(0, this.recordCount - 1) / PAGE_SIZE);
    this.pages.delete(lastPage);
    this.requested.delete(lastPage);
    this.recordCount = count;
    this.spacer.style.height = `${count * ROW_HEIGHT}px`;
    this.scheduleRender();
  }

  /** Drops the cached pages that hold changed records (or all of them) so they are asked for again. */
  invalidate(recordIndices: number[] | 'all', recordCount: number): void {
    if (recordIndices === 'all' || recordCount !== this.recordCount) {
      this.setRecordCount(recordCount);
      return;
    }
    for (const index of recordIndices) {
      const page = Math.floor(index / PAGE_SIZE);
      this.pages.delete(page);
      this.requested.delete(page);
    }
    this.scheduleRender();
  }

  addPage(start: number, records: RecordSummary[]): void {
    const page = Math.floor(start / PAGE_SIZE);
    this.requested.delete(page);
    this.pages.set(page, records);
    this.evictFarPages(page);
    this.scheduleRender();
  }

  /** How many rows the list has (records, or the records that pass the filter). */
  get count(): number {
    return this.recordCount;
  }

  /** The selected position in the list (not a record index: the list may be filtered). */
  get selectedPosition(): number {
    return this.selected;
  }

  /** The record shown at a list position, if its page has arrived. */
  recordAt(position: number): RecordSummary | undefined {
    const page = Math.floor(position / PAGE_SIZE);
    return this.pages.get(page)?.[position - page * PAGE_SIZE];
  }

  /** Shows the row the store selected (`reveal`: scrolled into view). */
  showSelected(position: number, reveal: boolean): void {
    if (this.recordCount === 0) return;
    this.selected = position;
    if (reveal) {
      const top = this.selected * ROW_HEIGHT;
      if (top < this.element.scrollTop) this.element.scrollTop = top;
      else if (top + ROW_HEIGHT > this.element.scrollTop + this.element.clientHeight) this.element.scrollTop = top + ROW_HEIGHT - this.element.clientHeight;
    }
    this.scheduleRender();
  }

  private onKey(event: KeyboardEvent): void {
    const pageRows = Math.max(1, Math.floor(this.element.clientHeight / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1, PageDown: pageRows, PageUp: -pageRows };
    if (event.key in moves) this.options.select(this.selected + moves[event.key], true);
    else if (event.key === 'Home') this.options.select(0, true);
    else if (event.key === 'End') this.options.select(this.recordCount - 1, true);
    else return;
    event.preventDefault();
  }

  private evictFarPages(current: number): void {
    if (this.pages.size <= MAX_CACHED_PAGES) return;
    const byDistance = [...this.pages.keys()].sort((a, b) => Math.abs(b - current) - Math.abs(a - current));
    for (const page of byDistance.slice(0, this.pages.size - MAX_CACHED_PAGES)) this.pages.delete(page);
  }

  private scheduleRender(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private render(): void {
    const first = Math.max(0, Math.floor(this.element.scrollTop / ROW_HEIGHT) - OVERSCAN_ROWS);
    const last = Math.min(this.recordCount, Math.ceil((this.element.scrollTop + this.element.clientHeight) / ROW_HEIGHT) + OVERSCAN_ROWS);
    const positions = Array.from({ length: Math.max(0, last - first) }, (_, offset) => first + offset);
    const rows = positions.map((index) => {
      const page = Math.floor(index / PAGE_SIZE);
      const record = this.pages.get(page)?.[index - page * PAGE_SIZE];
      if (!record) this.request(page);
      return { index, record };
    });
    render(
      repeat(
        rows,
        (row) => row.index,
        (row) => this.row(row.index, row.record),
      ),
      this.rows,
    );
    this.rows.style.top = `${first * ROW_HEIGHT}px`;
    if (positions.includes(this.selected)) this.element.setAttribute('aria-activedescendant', `record-${this.selected}`);
    else this.element.removeAttribute('aria-activedescendant');
  }

  private request(page: number): void {
    if (this.requested.has(page)) return;
    this.requested.add(page);
    this.options.requestPage(page * PAGE_SIZE, PAGE_SIZE);
  }

  private row(index: number, record: RecordSummary | undefined): TemplateResult {
    const classes = `record-row${record ? '' : ' loading'}${record?.problem ? ' problem' : ''}${record && !record.problem && record.question === null ? ' no-question' : ''}`;
    const question = !record
      ? l10n.t('Loading...')
      : record.problem !== null
        ? record.problem
        : record.question === null
          ? l10n.t('No user question found in this record')
          : record.question;
    const checks =
      record && record.checks.length > 0 && record.problem === null
        ? html`<span class="record-checks" title=${l10n.t('Fails: {0}', record.checks.join(', '))} aria-label=${l10n.t('fails {0}', record.checks.join(', '))}
            >${record.checks.length}</span
          >`
        : nothing;
    const rated =
      record && record.segments > 0
        ? html`<span class="record-rated" title=${l10n.t('{0} of {1} segments rated', record.rated, record.segments)}>${record.rated}/${record.segments}</span>`
        : nothing;
    const review = record && record.review !== 'unreviewed' ? html`${icon(REVIEW_ICONS[record.review])}${reviewStatusName(record.review)}` : nothing;
    return html`<div
      class=${classes}
      id="record-${index}"
      data-index=${index}
      data-line=${record ? record.line : nothing}
      data-review=${record ? record.review : nothing}
      role="option"
      aria-selected=${index === this.selected ? 'true' : 'false'}
      @click=${() => this.options.select(index, false)}
    ><span class="record-line">${record ? record.line : ''}</span><span class="record-question" title=${record ? question : nothing}>${question}</span>${checks}${rated}<span
        class="record-format"
        >${record?.format ?? ''}</span
      ><span class="record-review">${review}</span></div>`;
  }
}
