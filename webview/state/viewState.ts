import type { RecordFilter } from '../../src/dataset/filterSchema';
import type { ConflictView, HostMessage, Operation, RecordSummary, Sample, WebviewMessage } from '../../src/protocol';
import { FIRST_SEGMENT, type Focus, keptFocus, movedFocus, replyAt, sameFocus } from './focus';
import { INITIAL_REGENERATION, type RegenerationEvent, type RegenerationState, regenerationReducer } from './regenerationState';

/** An operation on the shown record; the store fills in its line. */
export type OperationRequest = Operation extends infer O ? (O extends Operation ? Omit<O, 'line'> : never) : never;
export type ReviewStatus = Extract<Operation, { kind: 'setReviewStatus' }>['status'];
export type FilterCounts = Extract<HostMessage, { type: 'filtered' }>['counts'];

/** The header's counts: `indexing` is how far indexing got in percent, null before its first report, undefined once done. */
export interface DatasetHeader {
  fileName: string;
  records: number;
  lines: number;
  indexing: number | null | undefined;
}

export interface FilterSummary {
  /** What the reviewer chose. */
  chosen: RecordFilter;
  counts: FilterCounts;
  /** Records that pass the filter. */
  shown: number;
  active: boolean;
  /** A long filter pass on its way: how far it read. */
  reading: { read: number; of: number; indexing: boolean } | undefined;
}

/** Everything the dataset view shows and remembers, in one place; the DOM is drawn from it. */
export interface ViewState {
  header: DatasetHeader | undefined;
  /** Before the host's first answer. */
  loading: boolean;
  /** The line under the header: why the list is empty, or what went wrong. */
  status: { kind: 'none' } | { kind: 'empty' } | { kind: 'error'; message: string };
  reviewed: { reviewed: number; total: number; complete: boolean } | undefined;
  /** Rows of the list (records, or those passing the filter) and the selected row. */
  list: { count: number; selected: number };
  /** The record shown, or about to be shown once its sample arrives: what a change shows again. */
  selectedIndex: number | undefined;
  /** A selected row whose page has not arrived yet. */
  pendingPosition: number | undefined;
  /** The sample shown. */
  sample: Sample | undefined;
  focus: Focus;
  /** The focus the host was told about last: its commands and status bar follow it. */
  reportedFocus: Focus | undefined;
  editing: Focus | undefined;
  /** LaTeX typeset, or shown as written. */
  latex: boolean;
  shortcuts: boolean;
  filter: FilterSummary;
  regeneration: RegenerationState;
  /** The step of the shown tree search whose whole text is shown. */
  treeStep: number | undefined;
  /** The tree search's tab: its tree, or the reflection proposals it made. */
  treeTab: 'tree' | 'reflections';
}

/** What happens to the view: the host's messages, the keys, and what the controls ask for. */
/** The host's messages the state follows; pages and samples go to their caches first. */
export type HostEvent = Exclude<HostMessage, { type: 'page' | 'sample' }>;

export type ViewEvent =
  | { type: 'host'; message: HostEvent }
  /** A page of the list arrived: a row selected before it may now show its record. */
  | { type: 'page' }
  /** The sample of the selected record is here. */
  | { type: 'sample'; sample: Sample }
  | { type: 'key'; key: string }
  /** A row chosen in the list (`reveal`: scroll it into view, as a key does and a click need not). */
  | { type: 'selectRow'; position: number; reveal: boolean }
  | { type: 'focus'; focus: Focus }
  | { type: 'run'; operation: OperationRequest }
  | { type: 'rate'; focus: Focus; rating: 1 | 0 | -1 }
  | { type: 'edit'; focus: Focus | undefined }
  | { type: 'toggleLatex' }
  | { type: 'shortcuts'; open: boolean }
  | { type: 'treeStep'; id: number }
  | { type: 'treeTab'; tab: ViewState['treeTab'] }
  | { type: 'filter'; filter: RecordFilter }
  | { type: 'regeneration'; event: RegenerationEvent };

/** What the view must do beyond drawing the new state. */
export type Effect =
  | { type: 'post'; message: WebviewMessage }
  /** Show a record's sample: at once when it was fetched ahead, otherwise when it arrives. */
  | { type: 'show'; index: number }
  /** Fetch the samples around a row ahead of the reviewer. */
  | { type: 'prefetch'; position: number; direction: 1 | -1 }
  /** The selected row changed: remember it for when the view is opened again, and scroll to it (`reveal`). */
  | { type: 'selectedRow'; position: number; reveal: boolean }
  | { type: 'revealFocus' }
  | { type: 'focusEditor' }
  | { type: 'focusShortcuts' };

/**
 * What the reducer asks of the list: the record at a row, if its page is here. The caches follow the host's
 * messages (a new dataset, more records, a change) before the store does, so that this never answers from
 * pages the message made stale.
 */
export interface ViewContext {
  recordAt(position: number): RecordSummary | undefined;
  /** The row selected when the view was last open. */
  restoredPosition: number | undefined;
}

export interface Transition {
  state: ViewState;
  effects: Effect[];
}

const NO_FILTER: FilterSummary = {
  chosen: {},
  counts: { formats: {}, review: {}, checks: {}, unrated: 0, hasAlternatives: 0, disagreement: 0, conflicts: 0, annotators: {} },
  shown: 0,
  active: false,
  reading: undefined,
};

export const INITIAL_VIEW: ViewState = {
  header: undefined,
  loading: true,
  status: { kind: 'none' },
  reviewed: undefined,
  list: { count: 0, selected: 0 },
  selectedIndex: undefined,
  pendingPosition: undefined,
  sample: undefined,
  focus: FIRST_SEGMENT,
  reportedFocus: undefined,
  editing: undefined,
  latex: true,
  shortcuts: false,
  filter: NO_FILTER,
  regeneration: INITIAL_REGENERATION,
  treeStep: undefined,
  treeTab: 'tree',
};

/** The segment the focus is on, if the shown sample has it. */
export function focusedSegment(state: ViewState): Sample['responses'][number]['segments'][number] | undefined {
  return state.sample && replyAt(state.sample, state.focus)?.segments[state.focus.segment];
}

/**
 * The dataset view's state machine: the host's messages and the reviewer's keys and clicks in, the new state
 * and what to do out. Pure, so that every rule of the view is tested without a browser.
 */
export function viewReducer(state: ViewState, event: ViewEvent, context: ViewContext): Transition {
  const transition = reduce(state, event, context);
  return reportFocus(transition);
}

/** The host follows the focused segment (commands and status bar); it is told once per move. */
function reportFocus({ state, effects }: Transition): Transition {
  const { sample, focus } = state;
  // Only the record selected: after j the old sample stays on screen until the new one arrives.
  if (!sample || sample.index !== state.selectedIndex || !focusedSegment(state) || sameFocus(state.reportedFocus, focus)) return { state, effects };
  return { state: { ...state, reportedFocus: focus }, effects: [...effects, post({ type: 'select', index: sample.index, ...focus })] };
}

const post = (message: WebviewMessage): Effect => ({ type: 'post', message });

function reduce(state: ViewState, event: ViewEvent, context: ViewContext): Transition {
  switch (event.type) {
    case 'host':
      return onHost(state, event.message, context);
    case 'page':
      return state.pendingPosition !== undefined ? selectRow(state, state.pendingPosition, context, false) : { state, effects: [] };
    case 'sample':
      return show(state, event.sample);
    case 'key':
      return onKey(state, event.key, context);
    case 'selectRow':
      return selectRow(state, event.position, context, event.reveal);
    case 'focus':
      return { state: sameFocus(state.focus, event.focus) ? state : { ...state, focus: event.focus }, effects: [] };
    case 'run':
      return run(state, event.operation);
    case 'rate':
      return rate({ ...state, focus: event.focus }, event.rating);
    case 'edit':
      if (event.focus === undefined) return { state: { ...state, editing: undefined }, effects: [] };
      return startEditing({ ...state, focus: event.focus });
    case 'toggleLatex':
      return { state: { ...state, latex: !state.latex }, effects: [] };
    case 'shortcuts':
      return { state: { ...state, shortcuts: event.open }, effects: event.open ? [{ type: 'focusShortcuts' }] : [] };
    case 'treeStep':
      return { state: { ...state, treeStep: event.id }, effects: [] };
    case 'treeTab':
      return { state: { ...state, treeTab: event.tab }, effects: [] };
    case 'filter':
      return { state: { ...state, filter: { ...state.filter, chosen: event.filter } }, effects: [post({ type: 'setFilter', filter: event.filter })] };
    case 'regeneration':
      return regeneration(state, event.event);
  }
}

function regeneration(state: ViewState, event: RegenerationEvent): Transition {
  const next = regenerationReducer(state.regeneration, event);
  // A new tree shows its tree, and no step until one is chosen.
  const fresh = event.type === 'start';
  const tree = fresh ? { treeStep: undefined, treeTab: 'tree' as const } : {};
  return { state: { ...state, regeneration: next.state, ...tree }, effects: next.send.map(post) };
}

function onHost(state: ViewState, message: HostEvent, context: ViewContext): Transition {
  switch (message.type) {
    case 'dataset': {
      const header: DatasetHeader = {
        fileName: message.fileName,
        records: message.recordCount,
        lines: message.lineCount,
        indexing: message.complete ? undefined : null,
      };
      const status: ViewState['status'] = message.recordCount === 0 && message.complete ? { kind: 'empty' } : { kind: 'none' };
      const next: ViewState = { ...state, header, loading: false, status, list: { count: message.recordCount, selected: 0 } };
      return selectRow(next, context.restoredPosition ?? 0, context, context.restoredPosition === undefined);
    }
    case 'indexing': {
      const percent = message.totalBytes === 0 ? 100 : Math.floor((message.indexedBytes / message.totalBytes) * 100);
      const header: DatasetHeader = {
        fileName: state.header?.fileName ?? '',
        records: message.recordCount,
        lines: message.lineCount,
        indexing: message.complete ? undefined : percent,
      };
      // An empty file another program appends to gets its first records.
      const status: ViewState['status'] =
        message.complete && message.recordCount === 0 ? { kind: 'empty' } : state.status.kind === 'empty' ? { kind: 'none' } : state.status;
      const first = state.list.count === 0 && message.listCount > 0;
      const count = Math.max(state.list.count, message.listCount);
      const next: ViewState = { ...state, header, status, list: { ...state.list, count } };
      if (!first) return { state: next, effects: [] };
      return selectRow(next, context.restoredPosition ?? 0, context, context.restoredPosition === undefined);
    }
    case 'filtering':
      return { state: { ...state, filter: { ...state.filter, reading: { read: message.read, of: message.of, indexing: message.indexing } } }, effects: [] };
    case 'filtered':
      return {
        state: { ...state, filter: { ...state.filter, counts: message.counts, shown: message.count, active: message.filterActive, reading: undefined } },
        effects: [],
      };
    case 'changed': {
      const countChanged = message.recordCount !== state.list.count;
      const next: ViewState = { ...state, list: { count: message.recordCount, selected: Math.min(state.list.selected, Math.max(0, message.recordCount - 1)) } };
      // A new filter shows other records: select the first; otherwise keep showing the same record.
      // The record selected last, not the one on screen: a j whose sample is on its way is not undone.
      if (countChanged && message.recordCount > 0) return selectRow(next, 0, context, true);
      const again = message.recordIndices === 'all' || countChanged || message.recordIndices.includes(next.selectedIndex ?? -1);
      return { state: next, effects: again && next.selectedIndex !== undefined ? [{ type: 'show', index: next.selectedIndex }] : [] };
    }
    case 'select':
      if (message.position !== null) return selectRow(state, message.position, context, true);
      return { state: { ...state, selectedIndex: message.index, reportedFocus: undefined }, effects: [{ type: 'show', index: message.index }] };
    case 'progress':
      return { state: { ...state, reviewed: { reviewed: message.reviewed, total: message.total, complete: message.complete } }, effects: [] };
    case 'regeneration':
      return regeneration(state, { type: 'report', message });
    case 'error':
      return { state: { ...state, loading: false, status: { kind: 'error', message: message.message } }, effects: [] };
  }
}

/** Selects a row: the host is told, and its record is shown now or when its page arrives (`reveal`: scroll to it). */
function selectRow(state: ViewState, wanted: number, context: ViewContext, reveal: boolean): Transition {
  if (state.list.count === 0) return { state, effects: [] };
  const position = Math.max(0, Math.min(state.list.count - 1, wanted));
  const moved = position !== state.list.selected;
  const direction: 1 | -1 = position >= state.list.selected ? 1 : -1;
  const list = { ...state.list, selected: position };
  const effects: Effect[] = [{ type: 'selectedRow', position, reveal }];
  const record = context.recordAt(position);
  if (!record) return { state: { ...state, list, pendingPosition: position, ...(moved ? { reportedFocus: undefined } : {}) }, effects };
  return {
    state: { ...state, list, pendingPosition: undefined, selectedIndex: record.index, reportedFocus: undefined },
    effects: [...effects, post({ type: 'select', index: record.index }), { type: 'show', index: record.index }, { type: 'prefetch', position, direction }],
  };
}

function show(state: ViewState, sample: Sample): Transition {
  const sameRecord = state.sample?.index === sample.index;
  const regenerationShowing = regenerationReducer(state.regeneration, { type: 'showing', line: sample.line }).state;
  const focus = keptFocus(sample, sameRecord ? state.focus : FIRST_SEGMENT);
  return {
    state: {
      ...state,
      sample,
      focus,
      editing: sameRecord ? state.editing : undefined,
      treeStep: sameRecord ? state.treeStep : undefined,
      regeneration: regenerationShowing,
    },
    effects: [],
  };
}

/** Runs an operation on the shown record; the message of a finished run goes, as the reviewer moved on. */
function run(state: ViewState, operation: OperationRequest): Transition {
  const sample = state.sample;
  if (!sample) return { state, effects: [] };
  const dismissed = regeneration(state, { type: 'dismiss', explicit: false });
  const full = { ...operation, line: sample.line } as Operation;
  return { state: dismissed.state, effects: [...dismissed.effects, post({ type: 'operation', operation: full })] };
}

/** Rates the focused segment; the same rating again takes it back. */
function rate(state: ViewState, rating: 1 | 0 | -1): Transition {
  const segment = focusedSegment(state);
  if (!segment) return { state, effects: [] };
  return run(state, { kind: 'rateSegment', ...state.focus, rating: segment.rating === rating ? null : rating });
}

function startEditing(state: ViewState): Transition {
  if (!focusedSegment(state)) return { state, effects: [] };
  return { state: { ...state, editing: state.focus }, effects: [{ type: 'focusEditor' }] };
}

function review(state: ViewState, status: ReviewStatus): Transition {
  if (!state.sample || state.sample.unreadable) return { state, effects: [] };
  return run(state, { kind: 'setReviewStatus', status });
}

/** Regenerates the focused segment (with `rest`, it and every later one) by beam or tree search. */
function regenerate(state: ViewState, rest: boolean, method: 'beam' | 'mcts'): Transition {
  const segment = focusedSegment(state);
  // A search path's alternatives would be the first path's: it is not regenerated.
  if (!state.sample || !segment || state.focus.model !== undefined) return { state, effects: [] };
  return regeneration(state, {
    type: 'start',
    target: { line: state.sample.line, segment: segment.index, side: 'primary', turn: state.focus.turn, rest, method },
  });
}

/** The reply the focus is in, as operations address it: a turn, or a search path by its model. */
function focusedReply(state: ViewState): { turn: number } | { model: string } {
  return state.focus.model === undefined ? { turn: state.focus.turn } : { model: state.focus.model };
}

/** The conflict the adjudication keys settle: the focused step's, else the record's first. */
export function currentConflict(state: ViewState): ConflictView | undefined {
  const conflicts = state.sample?.conflicts ?? [];
  const { turn, segment, model } = state.focus;
  const focused = conflicts.find(
    ({ step }) => step !== null && step.side === 'primary' && step.turn === turn && step.segment === segment && (step.model ?? undefined) === model,
  );
  return focused ?? conflicts[0];
}

/** Takes one version of the current conflict: ours (shown on the left) or theirs (on the right). */
function adjudicate(state: ViewState, take: 'ours' | 'theirs'): Transition {
  const conflict = currentConflict(state);
  if (!conflict) return { state, effects: [] };
  return run(state, { kind: 'resolveConflict', conflict: conflict.index, path: conflict.path, take });
}

/** Takes the focused step's suggested label as its rating, or (`all`) every suggestion on a step of the reply nobody rated. */
function confirmSuggestions(state: ViewState, all: boolean): Transition {
  const segment = focusedSegment(state);
  if (!segment || (!all && !segment.prelabel)) return { state, effects: [] };
  return run(state, { kind: 'confirmPrelabels', ...focusedReply(state), ...(all ? {} : { segments: [segment.index] }) });
}

/** Asks the host to have a model label the focused reply's steps: suggestions, or Monte Carlo scores. */
function labelSteps(state: ViewState, by: 'prelabel' | 'rollouts'): Transition {
  if (!state.sample || state.sample.unreadable || state.focus.model !== undefined) return { state, effects: [] };
  return { state, effects: [post({ type: 'labelSteps', line: state.sample.line, turn: state.focus.turn, by })] };
}

/** The keyboard shortcuts of the sample view (the `?` overlay lists them). */
function onKey(state: ViewState, key: string, context: ViewContext): Transition {
  switch (key) {
    case 'j':
      return selectRow(state, state.list.selected + 1, context, true);
    case 'k':
      return selectRow(state, state.list.selected - 1, context, true);
    case 'ArrowDown':
    case 'ArrowUp': {
      if (!state.sample) return { state, effects: [] };
      const focus = movedFocus(state.sample, state.focus, key === 'ArrowDown' ? 1 : -1);
      return { state: sameFocus(focus, state.focus) ? state : { ...state, focus }, effects: [{ type: 'revealFocus' }] };
    }
    case '1':
      return rate(state, 1);
    case '2':
      return rate(state, 0);
    case '3':
      return rate(state, -1);
    case 'f':
      return focusedSegment(state) ? run(state, { kind: 'markFirstError', ...state.focus }) : { state, effects: [] };
    case 'c':
      return confirmSuggestions(state, false);
    case 'C':
      return confirmSuggestions(state, true);
    case 'p':
      return labelSteps(state, 'prelabel');
    case 'm':
      return labelSteps(state, 'rollouts');
    case 'e':
      return startEditing(state);
    case 'g':
      return regenerate(state, false, 'beam');
    case 'G':
      return regenerate(state, true, 'beam');
    case 't':
      return regenerate(state, false, 'mcts');
    case 'a':
      return review(state, 'accepted');
    case 'r':
      return review(state, 'rejected');
    case 'n':
      return review(state, 'needs_fix');
    case '[':
      return adjudicate(state, 'ours');
    case ']':
      return adjudicate(state, 'theirs');
    case '?':
      return reduce(state, { type: 'shortcuts', open: !state.shortcuts }, context);
    case 'Escape':
      return { state: state.shortcuts ? { ...state, shortcuts: false } : state, effects: [] };
    default:
      return { state, effects: [] };
  }
}

/** The keys the view answers; the others are left to the workbench. */
export const VIEW_KEYS: ReadonlySet<string> = new Set([
  'j',
  'k',
  'ArrowDown',
  'ArrowUp',
  '1',
  '2',
  '3',
  'f',
  'c',
  'C',
  'p',
  'm',
  'e',
  'g',
  'G',
  't',
  'a',
  'r',
  'n',
  '[',
  ']',
  '?',
  'Escape',
]);
