import type { HostMessage, SearchTreeView, WebviewMessage } from '../../src/protocol';

export type RegenerationMessage = Extract<HostMessage, { type: 'regeneration' }>;
export type RegenerationRequest = Extract<WebviewMessage, { type: 'regenerate' | 'cancelRegeneration' }>;
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
export type PanelState = RegenerationMessage['state'] | 'starting' | 'cancelling';

/** Which reply a run is about. */
export interface RunKey {
  line: number;
  side: Side;
  turn: number;
}

/** The run the panel shows: where it is, how far it got, what it decoded. */
export interface ShownRun extends RunKey {
  segment: number;
  state: PanelState;
  candidates: string[];
  message: string | undefined;
  search: SearchTreeView | undefined;
}

export interface RegenerationState {
  /** The run going on as far as this view knows; the Regenerate buttons wait for it. */
  running: RunKey | undefined;
  /** The panel, when one is shown. */
  shown: ShownRun | undefined;
  /** Line of the record the sample view shows. */
  line: number | undefined;
  /** Cancel was asked before the host had reported the run, so it may have come too early: ask again. */
  cancelAgain: boolean;
}

export type RegenerationEvent =
  | { type: 'start'; target: RegenerationTarget }
  | { type: 'report'; message: RegenerationMessage }
  | { type: 'cancel' }
  /** The sample view shows a record: another one, or the same one again after a change. */
  | { type: 'showing'; line: number }
  /** The user moved on (`explicit`: the panel's own Dismiss). */
  | { type: 'dismiss'; explicit: boolean }
  /** A reflection proposal of the shown tree search was accepted: the run has given what it had. */
  | { type: 'reflectionAccepted' };

/** A state and the messages for the host that the event calls for. */
export interface Transition {
  state: RegenerationState;
  send: RegenerationRequest[];
}

export const INITIAL_REGENERATION: RegenerationState = { running: undefined, shown: undefined, line: undefined, cancelAgain: false };

/** States after which the panel waits only to be dismissed. */
export const FINISHED: ReadonlySet<PanelState> = new Set<PanelState>(['done', 'failed', 'cancelled', 'cancelling']);

const sameRun = (a: RunKey | undefined, b: RunKey): boolean => a?.line === b.line && a.side === b.side && a.turn === b.turn;

/** Where the panel goes on the shown record, if it belongs there. */
export function placement(state: RegenerationState): Pick<ShownRun, 'side' | 'turn' | 'segment'> | undefined {
  return state.shown?.line === state.line ? state.shown : undefined;
}

/**
 * Regeneration as the sample view knows it: one run at a time, started here or elsewhere (the palette), followed
 * through the host's reports, cancelled (again once the host has it, if Cancel came first), dismissed.
 */
export function regenerationReducer(state: RegenerationState, event: RegenerationEvent): Transition {
  switch (event.type) {
    case 'start': {
      if (state.running) return { state, send: [] };
      const { line, segment, side, turn, rest, method = 'beam' } = event.target;
      return {
        state: {
          ...state,
          running: { line, side, turn },
          cancelAgain: false,
          shown: { line, segment, side, turn, state: 'starting', candidates: [], message: undefined, search: undefined },
        },
        send: [{ type: 'regenerate', line, segment, side, turn, rest, method }],
      };
    }
    case 'report': {
      const { message } = event;
      // A run over the rest reports `done` for every segment it finishes; the host marks the last message.
      const running = message.final
        ? undefined
        : sameRun(state.running, message)
          ? state.running
          : { line: message.line, side: message.side, turn: message.turn };
      const send: RegenerationRequest[] = !message.final && state.cancelAgain ? [{ type: 'cancelRegeneration' }] : [];
      const next = { ...state, running, cancelAgain: false };
      if (message.line !== state.line) return { state: next, send };
      const previous = sameRun(state.shown, message) ? state.shown : undefined;
      const shown: ShownRun = {
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
      return { state: { ...next, shown }, send };
    }
    case 'cancel': {
      const send: RegenerationRequest[] = [{ type: 'cancelRegeneration' }];
      if (state.shown?.state !== 'starting') return { state, send };
      // The host may not have the run yet (then it is asked again on its first report) or may have refused
      // it without a report: the buttons are free again either way.
      return { state: { ...state, cancelAgain: true, running: undefined, shown: { ...state.shown, state: 'cancelling' } }, send };
    }
    case 'showing': {
      const { shown } = state;
      // A finished run's panel gives way to the refreshed record, whose alternatives now list the candidates;
      // a tree search's stays, for its tree and reflection proposals, until it is dismissed.
      const gone = shown !== undefined && (shown.line !== event.line || (shown.state === 'done' && !shown.search));
      return { state: { ...state, line: event.line, shown: gone ? undefined : shown }, send: [] };
    }
    case 'dismiss': {
      const { shown } = state;
      // A tree search's tree and proposals stay while the annotator works on the record, until dismissed themselves.
      if (!shown || !FINISHED.has(shown.state) || (shown.search && !event.explicit)) return { state, send: [] };
      return { state: { ...state, shown: undefined }, send: [] };
    }
    case 'reflectionAccepted':
      return { state: { ...state, shown: undefined }, send: [] };
  }
}
