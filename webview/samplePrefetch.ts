import type { Sample } from '../src/protocol';

/** Samples asked for ahead in the direction of travel, and behind; enough to keep up with a held key. */
const AHEAD = 4;
const BEHIND = 2;
const LIMIT = 16;

/**
 * Samples next to the selected one, built by the host ahead of time so that j and k show them at once. Each
 * round trip to the extension host costs tens of milliseconds, so the view asks for several neighbours in
 * the direction the reviewer is moving and never asks twice for a sample that is already on its way. Any
 * change to the file clears them; they are only ever the current text.
 */
export class SamplePrefetch {
  private readonly ready = new Map<number, Sample>();
  private readonly inFlight = new Set<number>();
  /** The record the view is waiting to show, when it was selected while its sample was on its way. */
  private awaited: number | undefined;

  constructor(private readonly request: (index: number, prefetch: boolean) => void) {}

  /**
   * The sample of a newly selected record if it is here; otherwise it is asked for (once) and `receive`
   * returns it when it arrives.
   */
  select(index: number): Sample | undefined {
    const sample = this.ready.get(index);
    if (sample) {
      this.awaited = undefined;
      return sample;
    }
    this.awaited = index;
    if (!this.inFlight.has(index)) this.request(index, false);
    return undefined;
  }

  /** Asks for the records around a list position; `recordAt` maps positions to records whose page is here. */
  around(position: number, direction: 1 | -1, recordAt: (position: number) => number | undefined): void {
    const wanted: number[] = [];
    for (let step = 1; step <= AHEAD; step++) wanted.push(position + direction * step);
    for (let step = 1; step <= BEHIND; step++) wanted.push(position - direction * step);
    for (const neighbour of wanted) {
      const index = recordAt(neighbour);
      if (index === undefined || this.ready.has(index) || this.inFlight.has(index)) continue;
      this.inFlight.add(index);
      this.request(index, true);
    }
  }

  /** Keeps an arriving sample; returns it when it is the one the view is waiting for. */
  receive(sample: Sample): Sample | undefined {
    this.inFlight.delete(sample.index);
    if (this.awaited === sample.index) {
      this.awaited = undefined;
      return sample;
    }
    if (this.ready.size >= LIMIT) this.ready.delete(this.ready.keys().next().value as number);
    this.ready.set(sample.index, sample);
    return undefined;
  }

  clear(): void {
    this.ready.clear();
    this.inFlight.clear();
  }
}
