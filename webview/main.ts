import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import { type HostMessage, hostMessageSchema, type Sample } from '../src/protocol';
import { element } from './dom';
import { FilterBar } from './filterBar';
import { RecordList } from './recordList';
import { Regeneration } from './regeneration';
import { SampleView } from './sampleView';
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
progress.setAttribute('aria-label', 'Reading the dataset');
const reviewed = element('span', 'dataset-progress');
reviewed.setAttribute('aria-label', 'Review progress');
const help = element('span', 'dataset-help', 'Press ? for shortcuts');
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
  onFocus: (segment) => {
    if (focusedSegment === segment) return;
    focusedSegment = segment;
    const shown = sampleView.current;
    if (shown) vscode.postMessage({ type: 'select', index: shown.index, segment });
  },
  regeneration,
});
let focusedSegment: number | undefined;
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
  vscode.postMessage({ type: 'select', index: record.index });
  const ready = prefetched.get(record.index);
  if (ready) sampleView.show(ready);
  else vscode.postMessage({ type: 'requestSample', index: record.index });
  prefetchAround(position);
}

/**
 * Samples next to the selected one, built ahead so that j and k show them at once. Any change to the file
 * clears them; they are only ever the current text.
 */
const prefetched = new Map<number, Sample>();
const PREFETCH_LIMIT = 8;

function prefetchAround(position: number): void {
  for (const neighbour of [position + 1, position - 1]) {
    const record = list.recordAt(neighbour);
    if (record && !prefetched.has(record.index)) vscode.postMessage({ type: 'requestSample', index: record.index, prefetch: true });
  }
}
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

function onHostMessage(message: HostMessage): void {
  switch (message.type) {
    case 'dataset':
      progress.remove();
      title.textContent = message.fileName;
      count.textContent = String(message.recordCount);
      count.setAttribute('aria-label', `${message.recordCount} records`);
      lines.textContent = `${message.recordCount} records on ${message.lineCount} lines`;
      status.textContent = message.recordCount === 0 ? 'This file has no records.' : '';
      list.setRecordCount(message.recordCount);
      if (message.recordCount > 0) {
        if (saved) list.element.scrollTop = saved.scrollTop;
        list.select(saved?.selectedIndex ?? 0, saved === undefined);
      }
      return;
    case 'page':
      list.addPage(message.start, message.records);
      if (pendingPosition !== undefined && list.recordAt(pendingPosition)) showPosition(pendingPosition);
      return;
    case 'filtered':
      filters.update(message.counts, message.count, message.filterActive);
      return;
    case 'changed': {
      prefetched.clear();
      const countChanged = message.recordCount !== list.count;
      list.invalidate(message.recordIndices, message.recordCount);
      // A new filter shows other records: select the first; otherwise keep showing the same record.
      if (countChanged || message.recordIndices === 'all') {
        if (message.recordCount > 0 && countChanged) list.select(0);
        else if (sampleView.current) vscode.postMessage({ type: 'requestSample', index: sampleView.current.index });
      } else if (sampleView.current && message.recordIndices.includes(sampleView.current.index)) {
        vscode.postMessage({ type: 'requestSample', index: sampleView.current.index });
      }
      return;
    }
    case 'select':
      if (message.position !== null) list.select(message.position);
      else vscode.postMessage({ type: 'requestSample', index: message.index });
      return;
    case 'progress':
      reviewed.textContent = `${message.reviewed} / ${message.total} reviewed${message.complete ? '' : ' (counting)'}`;
      return;
    case 'sample':
      if (message.prefetch) {
        if (prefetched.size >= PREFETCH_LIMIT) prefetched.delete(prefetched.keys().next().value as number);
        prefetched.set(message.sample.index, message.sample);
      } else {
        prefetched.delete(message.sample.index);
        sampleView.show(message.sample);
      }
      return;
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
