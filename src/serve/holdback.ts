/**
 * Decides how much of a candidate's streamed text is safe to send: text that could still turn out to be
 * the start of a stop string is held back, and nothing from the first stop string on is sent, so the
 * deltas a client receives add up to the final (cut) text.
 */
export class StopHoldback {
  private pending = '';
  private sent = '';
  private stopped = false;
  private readonly keep: number;

  constructor(private readonly stops: readonly string[]) {
    this.keep = Math.max(0, ...stops.map((stop) => stop.length - 1));
  }

  /** The part of the text so far that can be sent now. */
  push(delta: string): string {
    if (this.stopped) return '';
    this.pending += delta;
    const cut = this.firstStop();
    const ready = cut >= 0 ? this.pending.slice(0, cut) : this.pending.slice(0, Math.max(0, this.pending.length - this.keep));
    this.stopped = cut >= 0;
    this.pending = this.stopped ? '' : this.pending.slice(ready.length);
    this.sent += ready;
    return ready;
  }

  /** What is left to send once the final text is known. */
  finish(text: string): string {
    return text.startsWith(this.sent) ? text.slice(this.sent.length) : '';
  }

  private firstStop(): number {
    const found = this.stops.map((stop) => this.pending.indexOf(stop)).filter((index) => index >= 0);
    return found.length === 0 ? -1 : Math.min(...found);
  }
}
