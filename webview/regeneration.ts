import * as l10n from '@vscode/l10n';
import type { WebviewMessage } from '../src/protocol';
import { button, element, icon } from './dom';
import { SearchTreePanel } from './searchTree';
import {
  FINISHED,
  INITIAL_REGENERATION,
  type PanelState,
  placement,
  type RegenerationEvent,
  type RegenerationMessage,
  type RegenerationRequest,
  type RegenerationState,
  type RegenerationTarget,
  regenerationReducer,
  type ShownRun,
} from './state/regenerationState';

export type { RegenerationMessage, RegenerationTarget, Side } from './state/regenerationState';

type Request = RegenerationRequest | Extract<WebviewMessage, { type: 'operation' }>;

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

function stateText({ state, candidates, message, search }: ShownRun): string {
  switch (state) {
    case 'starting':
      return l10n.t('Starting…');
    case 'searching':
      return search ? l10n.t('Searching: {0} / {1} iterations…', search.iterations, search.budget) : l10n.t('Searching…');
    case 'decoding':
      return l10n.t('Decoding {0} candidates…', candidates.length);
    case 'ranking':
      return l10n.t('Ranking…');
    case 'done':
      return candidates.length === 1
        ? l10n.t('Done: 1 candidate added as an alternative')
        : l10n.t('Done: {0} candidates added as alternatives', candidates.length);
    case 'failed':
      return message ? l10n.t('Failed: {0}', message) : l10n.t('Failed');
    case 'cancelling':
      return l10n.t('Cancelling…');
    case 'cancelled':
      return l10n.t('Cancelled');
  }
}

/**
 * Regeneration as the sample view shows it: the state (`state/regenerationState.ts`) and the live panel for the
 * shown record, with the candidates' text as it decodes, the state and Cancel. The panel is one element updated
 * in place, so ten updates a second neither re-render the sample nor take the Cancel button from under the
 * pointer; the sample view puts it in the card it belongs to.
 */
export class Regeneration {
  readonly panel = element('section', 'regeneration');
  private readonly stateIcon = icon('loading');
  private readonly stateWords = element('span', 'regeneration-state');
  private readonly detail = element('p', 'regeneration-detail');
  private readonly list = element('ol', 'regeneration-candidates');
  private readonly texts: HTMLElement[] = [];
  private readonly cancelButton = button(l10n.t('Cancel'), l10n.t('Cancel regeneration'), () => this.dispatch({ type: 'cancel' }), 'action', 'debug-stop');
  private readonly dismissButton = button(l10n.t('Dismiss'), l10n.t('Dismiss regeneration message'), () => this.dismiss(true), 'action', 'close');
  private readonly tree = new SearchTreePanel({
    acceptReflection: (reflection, text) => {
      const shown = this.state.shown;
      if (!shown) return;
      const { line, segment, side, turn } = shown;
      this.send({
        type: 'operation',
        operation: { kind: 'acceptReflectionProposal', line, segment, side, turn, text, wrong: reflection.wrong, correction: reflection.correction },
      });
      this.dispatch({ type: 'reflectionAccepted' });
    },
  });
  private state: RegenerationState = INITIAL_REGENERATION;

  constructor(
    private readonly send: (message: Request) => void,
    private readonly changed: () => void,
  ) {
    this.panel.setAttribute('aria-label', l10n.t('Regeneration'));
    const status = element('div', 'regeneration-status');
    status.setAttribute('role', 'status');
    status.append(this.stateIcon, this.stateWords);
    const header = element('div', 'regeneration-header');
    header.append(status, this.cancelButton, this.dismissButton);
    this.panel.append(header, this.detail, this.list, this.tree.element);
  }

  get busy(): boolean {
    return this.state.running !== undefined;
  }

  /** The card the panel belongs in on the shown record, if any. */
  get placement(): Pick<ShownRun, 'side' | 'turn' | 'segment'> | undefined {
    return placement(this.state);
  }

  start(target: RegenerationTarget): void {
    this.dispatch({ type: 'start', target });
  }

  receive(message: RegenerationMessage): void {
    this.dispatch({ type: 'report', message });
  }

  /** The sample view shows a record; it lays the panel out itself, so nothing is drawn here. */
  showing(line: number): void {
    this.state = regenerationReducer(this.state, { type: 'showing', line }).state;
  }

  /** The user moved on: the message of a finished run goes (a tree search's only when `explicit`). */
  dismiss(explicit = false): void {
    this.dispatch({ type: 'dismiss', explicit });
  }

  private dispatch(event: RegenerationEvent): void {
    const before = this.state;
    const { state, send } = regenerationReducer(before, event);
    this.state = state;
    for (const message of send) this.send(message);
    if (state === before) return;
    if (state.shown && state.shown !== before.shown) this.render(state.shown);
    this.changed();
  }

  private render(shown: ShownRun): void {
    const finished = FINISHED.has(shown.state);
    this.panel.dataset.state = shown.state;
    this.stateIcon.className = `codicon ${STATE_ICONS[shown.state]}`;
    // The status is a live region: writing the same words again would announce them again.
    const words = stateText(shown);
    if (this.stateWords.textContent !== words) this.stateWords.textContent = words;
    this.detail.textContent = shown.state === 'done' ? (shown.message ?? '') : '';
    this.tree.element.hidden = shown.search === undefined;
    if (shown.search) this.tree.show(shown.search);
    this.cancelButton.hidden = finished;
    this.dismissButton.hidden = !finished;
    while (this.texts.length > shown.candidates.length) this.texts.pop()?.parentElement?.remove();
    while (this.texts.length < shown.candidates.length) {
      const item = element('li', 'regeneration-candidate');
      const text = element('div', 'regeneration-text');
      item.append(element('span', 'regeneration-number', l10n.t('Candidate {0}', this.texts.length + 1)), text);
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
