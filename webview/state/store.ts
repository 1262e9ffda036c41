import { type Effect, INITIAL_VIEW, type ViewContext, type ViewEvent, type ViewState, viewReducer } from './viewState';

export type Listener = (state: ViewState, previous: ViewState) => void;

/**
 * The one store of the dataset view: events go in (`dispatch`), the reducer gives the new state and effects,
 * the effects run, and the views draw what changed. An effect may dispatch again (a prefetched sample shows
 * at once); such events are queued so that every listener sees the states in order.
 */
export class Store {
  private current: ViewState = INITIAL_VIEW;
  private readonly listeners: Listener[] = [];
  private readonly queue: ViewEvent[] = [];
  private dispatching = false;

  constructor(
    private readonly context: ViewContext,
    private readonly perform: (effect: Effect) => void,
  ) {}

  get state(): ViewState {
    return this.current;
  }

  subscribe(listener: Listener): void {
    this.listeners.push(listener);
  }

  dispatch(event: ViewEvent): void {
    this.queue.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) this.step(next);
    } finally {
      this.dispatching = false;
    }
  }

  private step(event: ViewEvent): void {
    const previous = this.current;
    const { state, effects } = viewReducer(previous, event, this.context);
    this.current = state;
    if (state !== previous) for (const listener of this.listeners) listener(state, previous);
    for (const effect of effects) this.perform(effect);
  }
}
