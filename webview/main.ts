import '@vscode-elements/elements/dist/vscode-split-layout/index.js';
// Before the modules that draw: the translations are configured before any element is built.
import './l10n';
import { html, render } from 'lit';
import { hostMessageSchema } from '../src/protocol';
import { datasetHeader } from './datasetHeader';
import { FilterBar } from './filterBar';
import { RecordList } from './recordList';
import { SamplePrefetch } from './samplePrefetch';
import { SampleView } from './sampleView';
import { shortcutsOverlay } from './shortcuts';
import { Store } from './state/store';
import { type Effect, VIEW_KEYS, type ViewState } from './state/viewState';
import { vscode } from './vscodeApi';

const app = document.getElementById('app');
if (!app) throw new Error('the dataset view has no #app element');

const saved = vscode.getState();

/** The data the host sends on demand, kept here: the list's pages and the samples fetched ahead. */
const list = new RecordList({
  requestPage: (start, size) => vscode.postMessage({ type: 'requestPage', start, count: size }),
  select: (position, reveal) => store.dispatch({ type: 'selectRow', position, reveal }),
});
const prefetch = new SamplePrefetch((index, ahead) => vscode.postMessage({ type: 'requestSample', index, prefetch: ahead }));

const store = new Store({ recordAt: (position) => list.recordAt(position), restoredPosition: saved?.selectedIndex }, perform);
const dispatch = store.dispatch.bind(store);
const sampleView = new SampleView(dispatch);
const filters = new FilterBar(dispatch);

/** What the reducer asks for beyond drawing: messages to the host, the caches, scrolling and focus. */
function perform(effect: Effect): void {
  switch (effect.type) {
    case 'post':
      vscode.postMessage(effect.message);
      return;
    case 'show': {
      const ready = prefetch.select(effect.index);
      if (ready) dispatch({ type: 'sample', sample: ready });
      return;
    }
    case 'prefetch':
      prefetch.around(effect.position, effect.direction, (neighbour) => list.recordAt(neighbour)?.index);
      return;
    case 'selectedRow':
      list.showSelected(effect.position, effect.reveal);
      vscode.setState({ scrollTop: list.element.scrollTop, selectedIndex: effect.position });
      return;
    case 'revealFocus':
      sampleView.revealFocus();
      return;
    case 'focusEditor':
      void sampleView.focusEditor();
      return;
    case 'focusShortcuts':
      document.querySelector<HTMLElement>('.shortcuts-overlay .action')?.focus();
      return;
  }
}

const top = document.createElement('div');
top.className = 'dataset-top';
const listPane = document.createElement('div');
listPane.className = 'list-pane';
listPane.slot = 'start';
listPane.append(filters.element, list.element);
sampleView.element.slot = 'end';
const overlay = document.createElement('div');
render(html`<vscode-split-layout class="panes" initial-handle-position="40%" min-start="240px" min-end="240px"></vscode-split-layout>`, app);
app.prepend(top);
app.querySelector('.panes')?.append(listPane, sampleView.element);
app.append(overlay);
list.element.addEventListener('scroll', () => vscode.setState({ scrollTop: list.element.scrollTop, selectedIndex: store.state.list.selected }));

/** Each part draws when what it shows changed; the sample view keeps unchanged cards itself. */
function draw(state: ViewState, previous: ViewState | undefined): void {
  render(datasetHeader(state), top);
  if (state.filter !== previous?.filter) filters.update(state.filter);
  if (state.shortcuts !== previous?.shortcuts)
    render(
      shortcutsOverlay(state.shortcuts, () => dispatch({ type: 'shortcuts', open: false })),
      overlay,
    );
  const sampleChanged =
    previous === undefined ||
    state.sample !== previous.sample ||
    state.focus !== previous.focus ||
    state.editing !== previous.editing ||
    state.latex !== previous.latex ||
    state.regeneration !== previous.regeneration ||
    state.treeStep !== previous.treeStep ||
    state.treeTab !== previous.treeTab;
  if (sampleChanged) sampleView.update(state);
}
store.subscribe(draw);
draw(store.state, undefined);

/** Keys typed into a field are text, not shortcuts; the field may be inside a control's shadow root. */
function isTyping(event: Event): boolean {
  const target = event.composedPath()[0];
  return target instanceof HTMLTextAreaElement || target instanceof HTMLInputElement;
}

document.addEventListener('keydown', (event) => {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isTyping(event) || !VIEW_KEYS.has(event.key)) return;
  // In the sample list the arrows move between samples, as in any list.
  if (event.target === list.element && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) return;
  event.preventDefault();
  dispatch({ type: 'key', key: event.key });
});

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = hostMessageSchema.safeParse(event.data);
  if (!parsed.success) {
    console.warn('CoT Studio: ignored an unexpected message', parsed.error.message);
    return;
  }
  const message = parsed.data;
  // The caches follow first, so that the store never reads a page the message made stale.
  if (message.type === 'dataset') {
    list.setRecordCount(message.recordCount);
    if (saved) list.element.scrollTop = saved.scrollTop;
  } else if (message.type === 'indexing') list.grow(message.listCount);
  else if (message.type === 'changed') {
    prefetch.clear();
    list.invalidate(message.recordIndices, message.recordCount);
  }
  if (message.type === 'page') {
    list.addPage(message.start, message.records);
    dispatch({ type: 'page' });
  } else if (message.type === 'sample') {
    // Only the sample the view waits for is shown: an answer that arrives after the reviewer moved on is kept.
    const awaited = prefetch.receive(message.sample);
    if (awaited) dispatch({ type: 'sample', sample: awaited });
  } else dispatch({ type: 'host', message });
});

vscode.postMessage({ type: 'ready' });
