import * as l10n from '@vscode/l10n';
import type { RecordSummary } from '../src/protocol';
import { element, icon } from './dom';
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
 * from the host. Text from the dataset is only ever set with textContent.
 */
export class RecordList {
  readonly element: HTMLElement;
  private readonly spacer: HTMLElement;
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
    const rows: HTMLElement[] = [];
    for (let index = first; index < last; index++) {
      const page = Math.floor(index / PAGE_SIZE);
      const record = this.pages.get(page)?.[index - page * PAGE_SIZE];
      if (!record) this.request(page);
      rows.push(this.renderRow(index, record));
    }
    this.spacer.replaceChildren(...rows);
    const selectedRow = rows.find((row) => row.dataset.index === String(this.selected));
    if (selectedRow) this.element.setAttribute('aria-activedescendant', selectedRow.id);
    else this.element.removeAttribute('aria-activedescendant');
  }

  private request(page: number): void {
    if (this.requested.has(page)) return;
    this.requested.add(page);
    this.options.requestPage(page * PAGE_SIZE, PAGE_SIZE);
  }

  private renderRow(index: number, record: RecordSummary | undefined): HTMLElement {
    const row = document.createElement('div');
    row.className = 'record-row';
    row.id = `record-${index}`;
    row.dataset.index = String(index);
    row.setAttribute('role', 'option');
    row.setAttribute('aria-selected', String(index === this.selected));
    row.style.top = `${index * ROW_HEIGHT}px`;
    row.addEventListener('click', () => this.options.select(index, false));
    const line = document.createElement('span');
    line.className = 'record-line';
    const text = document.createElement('span');
    text.className = 'record-question';
    const format = document.createElement('span');
    format.className = 'record-format';
    const review = document.createElement('span');
    review.className = 'record-review';
    const badges: HTMLElement[] = [];
    if (!record) {
      text.textContent = l10n.t('Loading...');
      row.classList.add('loading');
    } else {
      row.dataset.line = String(record.line);
      row.dataset.review = record.review;
      line.textContent = String(record.line);
      format.textContent = record.format ?? '';
      if (record.checks.length > 0 && record.problem === null) {
        const badge = element('span', 'record-checks', String(record.checks.length));
        badge.title = l10n.t('Fails: {0}', record.checks.join(', '));
        badge.setAttribute('aria-label', l10n.t('fails {0}', record.checks.join(', ')));
        badges.push(badge);
      }
      if (record.segments > 0) {
        const progress = element('span', 'record-rated', `${record.rated}/${record.segments}`);
        progress.title = l10n.t('{0} of {1} segments rated', record.rated, record.segments);
        badges.push(progress);
      }
      if (record.review !== 'unreviewed') {
        review.append(icon(REVIEW_ICONS[record.review]), reviewStatusName(record.review));
      }
      if (record.problem !== null) {
        row.classList.add('problem');
        text.textContent = record.problem;
      } else if (record.question === null) {
        row.classList.add('no-question');
        text.textContent = l10n.t('No user question found in this record');
      } else {
        text.textContent = record.question;
      }
      text.title = text.textContent;
    }
    row.append(line, text, ...badges, format, review);
    return row;
  }
}
