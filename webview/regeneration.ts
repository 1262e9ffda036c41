import type { HostMessage, Sample, SearchTreeView, WebviewMessage } from '../src/protocol';
import { button, element, icon } from './dom';
import { SearchTreePanel } from './searchTree';

export type RegenerationMessage = Extract<HostMessage, { type: 'regeneration' }>;
type RegenerationRequest = Extract<WebviewMessage, { type: 'regenerate' | 'cancelRegeneration' | 'operation' }>;
export type Side = RegenerationMessage['side'];

/** A segment to regenerate, alone or with every later one (`rest`). */
export interface RegenerationTarget {
  line: number;
  segment: number;
  side: Side;
  /** The reply of a conversation, 0-based among its assistant turns. */
  turn: number;
  rest: boolean;
  /** Beam search (the default) or the tree search. */
  method?: 'beam' | 'mcts';
}

/** The host's states, plus the view's own while it waits for the host's first report. */
type PanelState = RegenerationMessage['state'] | 'starting' | 'cancelling';

interface Shown {
  line: number;
  segment: number;
  side: Side;
  turn: number;
  state: PanelState;
  candidates: string[];
  message: string | undefined;
  search: SearchTreeView | undefined;
}

/** States after which the panel waits only to be dismissed. */
const FINISHED = new Set<PanelState>(['done', 'failed', 'cancelled', 'cancelling']);

const SPINNER = 'codicon-loading codicon-modifier-spin';
const STATE_ICONS: Record<PanelState, string> = {
  starting: SPINNER,
  decoding: SPINNER,
  ranking: SPINNER,
  searching: SPINNER,
  cancelling: SPINNER,
  done: 'codicon-pass',
  failed: 'codicon-error',
  cancelled: 'codicon-circle-slash',
};

function stateText({ state, candidates, message, search }: Shown): string {
  switch (state) {
    case 'starting':
      return 'Starting…';
    case 'searching':
      return search ? `Searching: ${search.iterations} / ${search.budget} iterations…` : 'Searching…';
    case 'decoding':
      return `Decoding ${candidates.length} candidates…`;
    case 'ranking':
      return 'Ranking…';
    case 'done':
      return candidates.length === 1 ? 'Done: 1 candidate added as an alternative' : `Done: ${candidates.length} candidates added as alternatives`;
    case 'failed':
      return message ? `Failed: ${message}` : 'Failed';
    case 'cancelling':
      return 'Cancelling…';
    case 'cancelled':
      return 'Cancelled';
  }
}

/**
 * Regeneration as the sample view shows it: whether a run is going on (the Regenerate buttons wait for it),
 * and the live panel for the shown record, with the candidates' text as it decodes, the state and Cancel.
 * The panel is one element updated in place, so ten updates a second neither re-render the sample nor
 * take the Cancel button from under the pointer; the sample view puts it in the card it belongs to.
 */
export class Regeneration {
  readonly panel = element('section', 'regeneration');
  private readonly stateIcon = icon('loading');
  private readonly state = element('span', 'regeneration-state');
  private readonly detail = element('p', 'regeneration-detail');
  private readonly list = element('ol', 'regeneration-candidates');
  private readonly texts: HTMLElement[] = [];
  private readonly cancelButton = button('Cancel', 'Cancel regeneration', () => this.cancel(), 'action', 'debug-stop');
  private readonly dismissButton = button('Dismiss', 'Dismiss regeneration message', () => this.dismiss(), 'action', 'close');
  private readonly tree = new SearchTreePanel({
    acceptReflection: (reflection, text) => {
      const shown = this.shown;
      if (!shown) return;
      const { line, segment, side, turn } = shown;
      this.send({
        type: 'operation',
        operation: { kind: 'acceptReflectionProposal', line, segment, side, turn, text, wrong: reflection.wrong, correction: reflection.correction },
      });
      this.shown = undefined;
      this.changed();
    },
  });
  /** The run going on as far as this view knows. */
  private running: Pick<Shown, 'line' | 'side' | 'turn'> | undefined;
  private shown: Shown | undefined;
  /** Line of the record the sample view shows. */
  private line: number | undefined;
  /** Cancel was asked before the host had reported the run, so it may have come too early: ask again. */
  private cancelAgain = false;

  constructor(
    private readonly send: (message: RegenerationRequest) => void,
    private readonly changed: () => void,
  ) {
    this.panel.setAttribute('aria-label', 'Regeneration');
    const status = element('div', 'regeneration-status');
    status.setAttribute('role', 'status');
    status.append(this.stateIcon, this.state);
    const header = element('div', 'regeneration-header');
    header.append(status, this.cancelButton, this.dismissButton);
    this.panel.append(header, this.detail, this.list, this.tree.element);
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** The card the panel belongs in on the shown record, if any. */
  get placement(): Pick<Shown, 'side' | 'turn' | 'segment'> | undefined {
    return this.shown?.line === this.line ? this.shown : undefined;
  }

  start(target: RegenerationTarget): void {
    if (this.running) return;
    const { line, segment, side, turn, rest, method = 'beam' } = target;
    this.running = { line, side, turn };
    this.cancelAgain = false;
    this.shown = { line, segment, side, turn, state: 'starting', candidates: [], message: undefined, search: undefined };
    this.send({ type: 'regenerate', line, segment, side, turn, rest, method });
    this.update();
  }

  receive(message: RegenerationMessage): void {
    const same = (run: Pick<Shown, 'line' | 'side' | 'turn'> | undefined) =>
      run?.line === message.line && run.side === message.side && run.turn === message.turn;
    const own = same(this.running) ? this.running : undefined;
    // A run over the rest reports `done` for every segment it finishes; the host marks the last message.
    const ends = message.final;
    this.running = ends ? undefined : (own ?? { line: message.line, side: message.side, turn: message.turn });
    if (!ends && this.cancelAgain) this.send({ type: 'cancelRegeneration' });
    this.cancelAgain = false;
    if (message.line !== this.line) {
      this.changed();
      return;
    }
    const previous = same(this.shown) ? this.shown : undefined;
    this.shown = {
      line: message.line,
      side: message.side,
      turn: message.turn,
      // A cancelled run over the rest names the segment it started from; the panel stays where it stopped.
      segment: message.state === 'cancelled' && previous ? previous.segment : message.segment,
      state: message.state,
      // Reports without candidates (nothing kept, cancelled) leave what was decoded in view, to show why.
      candidates: message.candidates.length > 0 ? message.candidates : (previous?.candidates ?? []),
      message: message.message,
      search: message.search ?? previous?.search,
    };
    this.update();
  }

  /** The sample view shows a record: another one, or the same one again after a change. */
  showing(sample: Sample): void {
    this.line = sample.line;
    // A finished run's panel gives way to the refreshed record, whose alternatives now list the candidates;
    // a tree search's stays, for its tree and reflection proposals, until it is dismissed.
    if (this.shown && (this.shown.line !== sample.line || (this.shown.state === 'done' && !this.shown.search))) this.shown = undefined;
  }

  /**
   * The user moved on: the message of a finished run goes. A tree search's tree and reflection proposals stay
   * while the annotator works on the record (accepting a candidate, say) until they are dismissed themselves.
   */
  dismiss(explicit = false): void {
    if (!this.shown || !FINISHED.has(this.shown.state) || (this.shown.search && !explicit)) return;
    this.shown = undefined;
    this.changed();
  }

  private cancel(): void {
    this.send({ type: 'cancelRegeneration' });
    if (this.shown?.state !== 'starting') return;
    // The host may not have the run yet (then it is asked again on its first report) or may have refused
    // it without a report: the buttons are free again either way.
    this.cancelAgain = true;
    this.running = undefined;
    this.shown = { ...this.shown, state: 'cancelling' };
    this.update();
  }

  private update(): void {
    if (this.shown) this.render(this.shown);
    this.changed();
  }

  private render(shown: Shown): void {
    const finished = FINISHED.has(shown.state);
    this.panel.dataset.state = shown.state;
    this.stateIcon.className = `codicon ${STATE_ICONS[shown.state]}`;
    // The status is a live region: writing the same words again would announce them again.
    const words = stateText(shown);
    if (this.state.textContent !== words) this.state.textContent = words;
    this.detail.textContent = shown.state === 'done' ? (shown.message ?? '') : '';
    this.tree.element.hidden = shown.search === undefined;
    if (shown.search) this.tree.show(shown.search);
    this.cancelButton.hidden = finished;
    this.dismissButton.hidden = !finished;
    while (this.texts.length > shown.candidates.length) this.texts.pop()?.parentElement?.remove();
    while (this.texts.length < shown.candidates.length) {
      const item = element('li', 'regeneration-candidate');
      const text = element('div', 'regeneration-text');
      item.append(element('span', 'regeneration-number', `Candidate ${this.texts.length + 1}`), text);
      this.list.append(item);
      this.texts.push(text);
    }
    shown.candidates.forEach((candidate, index) => {
      const text = this.texts[index];
      if (!text || text.textContent === candidate) return;
      // Follow the text as it grows, unless the reader has scrolled back in it.
      const following = text.scrollTop + text.clientHeight >= text.scrollHeight - 4;
      text.textContent = candidate;
      if (following) text.scrollTop = text.scrollHeight;
    });
  }
}
