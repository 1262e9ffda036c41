import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
// Before the modules that draw: the translations are configured before any element is built.
import './l10n';
import * as l10n from '@vscode/l10n';
import { type HostMessage, hostMessageSchema } from '../src/protocol';
import { element } from './dom';
import { FilterBar } from './filterBar';
import { RecordList } from './recordList';
import { Regeneration } from './regeneration';
import { SamplePrefetch } from './samplePrefetch';
import { SampleView } from './sampleView';
import type { Focus } from './state/focus';
import { shortcutsOverlay } from './shortcuts';
import { vscode } from './vscodeApi';

const app = document.getElementById('app');
if (!app) throw new Error('the dataset view has no #app element');

const header = element('header', 'dataset-header');
const title = element('h1', 'dataset-title');
const count = document.createElement('vscode-badge');
count.setAttribute('variant', 'counter');
const lines = element('span', 'dataset-lines');
const progress = document.createElement('vscode-progress-ring');
progress.setAttribute('aria-label', l10n.t('Reading the dataset'));
const reviewed = element('span', 'dataset-progress');
reviewed.setAttribute('aria-label', l10n.t('Review progress'));
const help = element('span', 'dataset-help', l10n.t('Press ? for shortcuts'));
header.append(title, count, lines, reviewed, help, progress);

const status = element('p', 'dataset-status');
status.setAttribute('role', 'status');

const saved = vscode.getState();
const regeneration = new Regeneration(
  (message) => vscode.postMessage(message),
  () => sampleView.placeRegeneration(),
);
const sampleView = new SampleView({
  run: (operation) => {
    const sample = sampleView.current;
    if (!sample) return;
    regeneration.dismiss();
    vscode.postMessage({ type: 'operation', operation: { ...operation, line: sample.line } });
  },
  onFocus: (focus) => {
    if (focusedSegment?.turn === focus.turn && focusedSegment.segment === focus.segment && focusedSegment.model === focus.model) return;
    focusedSegment = focus;
    const shown = sampleView.current;
    if (shown) vscode.postMessage({ type: 'select', index: shown.index, ...focus });
  },
  regeneration,
});
let focusedSegment: Focus | undefined;
/** A list position whose record is selected but whose page has not arrived yet. */
let pendingPosition: number | undefined;

/** Shows the record at a list position in the sample view, now or when its page arrives. */
function showPosition(position: number): void {
  const record = list.recordAt(position);
  if (!record) {
    pendingPosition = position;
    return;
  }
  pendingPosition = undefined;
  const direction = position >= lastPosition ? 1 : -1;
  lastPosition = position;
  vscode.postMessage({ type: 'select', index: record.index });
  showRecord(record.index);
  prefetch.around(position, direction, (neighbour) => list.recordAt(neighbour)?.index);
}
let lastPosition = 0;

/** The record the view shows, or is about to show once its sample arrives: what a change shows again. */
let selectedIndex: number | undefined;

/** Shows a record's sample at once when it was fetched ahead, otherwise as soon as it arrives. */
function showRecord(index: number): void {
  selectedIndex = index;
  const ready = prefetch.select(index);
  if (ready) sampleView.show(ready);
}

const prefetch = new SamplePrefetch((index, ahead) => vscode.postMessage({ type: 'requestSample', index, prefetch: ahead }));
const list = new RecordList({
  requestPage: (start, size) => vscode.postMessage({ type: 'requestPage', start, count: size }),
  onSelect: (position) => {
    focusedSegment = undefined;
    vscode.setState({ scrollTop: list.element.scrollTop, selectedIndex: position });
    showPosition(position);
  },
});
list.element.addEventListener('scroll', () => vscode.setState({ scrollTop: list.element.scrollTop, selectedIndex: list.selectedPosition }));
const filters = new FilterBar((filter) => vscode.postMessage({ type: 'setFilter', filter }));
const listPane = element('div', 'list-pane');
listPane.append(filters.element, list.element);

const overlay = shortcutsOverlay(() => toggleShortcuts(false));
function toggleShortcuts(show = overlay.hidden): void {
  overlay.hidden = !show;
  if (show) overlay.querySelector('button')?.focus();
}

const panes = element('div', 'panes');
panes.append(listPane, sampleView.element);
app.append(header, status, panes, overlay);

const NO_RECORDS = l10n.t('This file has no records.');

/**
 * The header's counts: exact once the file is indexed, "at least" while it is (`indexing`: how far, in percent,
 * or null before the first report).
 */
function showCounts(recordCount: number, lineCount: number, indexing: number | null | undefined): void {
  const records = indexing === undefined ? `${recordCount}` : `≥ ${recordCount}`;
  count.textContent = records;
  count.setAttribute('aria-label', indexing === undefined ? l10n.t('{0} records', recordCount) : l10n.t('at least {0} records', recordCount));
  lines.textContent =
    indexing === undefined
      ? l10n.t('{0} records on {1} lines', recordCount, lineCount)
      : indexing === null
        ? l10n.t('at least {0} records on {1} lines (indexing)', recordCount, lineCount)
        : l10n.t('at least {0} records on {1} lines (indexing, {2}%)', recordCount, lineCount, indexing);
}

function onHostMessage(message: HostMessage): void {
  switch (message.type) {
    case 'dataset':
      progress.remove();
      title.textContent = message.fileName;
      showCounts(message.recordCount, message.lineCount, message.complete ? undefined : null);
      status.textContent = message.recordCount === 0 && message.complete ? NO_RECORDS : '';
      list.setRecordCount(message.recordCount);
      if (message.recordCount > 0) {
        if (saved) list.element.scrollTop = saved.scrollTop;
        list.select(saved?.selectedIndex ?? 0, saved === undefined);
      }
      return;
    case 'indexing': {
      const percent = message.totalBytes === 0 ? 100 : Math.floor((message.indexedBytes / message.totalBytes) * 100);
      showCounts(message.recordCount, message.lineCount, message.complete ? undefined : percent);
      // An empty file another program appends to gets its first records.
      if (message.complete && message.recordCount === 0) status.textContent = NO_RECORDS;
      else if (status.textContent === NO_RECORDS) status.textContent = '';
      const first = list.count === 0 && message.listCount > 0;
      list.grow(message.listCount);
      if (first) list.select(saved?.selectedIndex ?? 0, saved === undefined);
      return;
    }
    case 'page':
      list.addPage(message.start, message.records);
      if (pendingPosition !== undefined && list.recordAt(pendingPosition)) showPosition(pendingPosition);
      return;
    case 'filtering':
      filters.progress(message.read, message.of, message.indexing);
      return;
    case 'filtered':
      filters.update(message.counts, message.count, message.filterActive);
      return;
    case 'changed': {
      prefetch.clear();
      const countChanged = message.recordCount !== list.count;
      list.invalidate(message.recordIndices, message.recordCount);
      // A new filter shows other records: select the first; otherwise keep showing the same record.
      // The record selected last, not the one on screen: a j whose sample is on its way is not undone.
      if (countChanged || message.recordIndices === 'all') {
        if (message.recordCount > 0 && countChanged) list.select(0);
        else if (selectedIndex !== undefined) showRecord(selectedIndex);
      } else if (selectedIndex !== undefined && message.recordIndices.includes(selectedIndex)) {
        showRecord(selectedIndex);
      }
      return;
    }
    case 'select':
      if (message.position !== null) list.select(message.position);
      else showRecord(message.index);
      return;
    case 'progress':
      reviewed.textContent = message.complete
        ? l10n.t('{0} / {1} reviewed', message.reviewed, message.total)
        : l10n.t('{0} / {1} reviewed (counting)', message.reviewed, message.total);
      return;
    case 'sample': {
      // Only the sample the view waits for is shown: an answer that arrives after the reviewer moved on is kept.
      const awaited = prefetch.receive(message.sample);
      if (awaited) sampleView.show(awaited);
      return;
    }
    case 'regeneration':
      regeneration.receive(message);
      return;
    case 'error':
      progress.remove();
      status.textContent = message.message;
      status.classList.add('error');
      return;
  }
}

/** Keys typed into a field are text, not shortcuts. */
function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLTextAreaElement || target instanceof HTMLInputElement;
}

document.addEventListener('keydown', (event) => {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
  const actions: Record<string, () => void> = {
    j: () => list.select(list.selectedPosition + 1),
    k: () => list.select(list.selectedPosition - 1),
    ArrowDown: () => sampleView.moveFocus(1),
    ArrowUp: () => sampleView.moveFocus(-1),
    '1': () => sampleView.rate(1),
    '2': () => sampleView.rate(0),
    '3': () => sampleView.rate(-1),
    f: () => sampleView.markFirstError(),
    e: () => sampleView.startEditing(),
    g: () => sampleView.regenerate(false),
    G: () => sampleView.regenerate(true),
    t: () => sampleView.regenerate(false, 'mcts'),
    a: () => sampleView.review('accepted'),
    r: () => sampleView.review('rejected'),
    n: () => sampleView.review('needs_fix'),
    '?': () => toggleShortcuts(),
    Escape: () => toggleShortcuts(false),
  };
  // In the sample list the arrows move between samples, as in any list.
  if (event.target === list.element && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) return;
  const action = actions[event.key];
  if (!action) return;
  event.preventDefault();
  action();
});

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = hostMessageSchema.safeParse(event.data);
  if (parsed.success) onHostMessage(parsed.data);
  else console.warn('CoT Studio: ignored an unexpected message', parsed.error.message);
});

vscode.postMessage({ type: 'ready' });
