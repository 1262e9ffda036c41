import type { Dataset } from './dataset';
import { reviewStatusSchema, type ReviewStatus } from './annotations';
import { type CheckContext, checkIdSchema, type CheckResult, checkLine, type LineCheck } from './checks';
import { disagrees, FACT_FORMATS, matchesFilter, readFacts, type RecordFacts, type RecordFilter } from './facts';
import { type DatasetStats, StatsTally } from './validate';

const REVIEWS = reviewStatusSchema.options;
const CHECKS = checkIdSchema.options;
const UNKNOWN = 255;
const UNRATED = 1;
const HAS_ALTERNATIVES = 2;
const CONFLICTS = 4;
/**
 * Work between yields to the event loop, so a request for the next sample waits at most this long behind
 * the pass. Time, not a record count: record sizes vary by orders of magnitude.
 */
const SLICE_MS = 8;
/** Records whose check results are handed on together. */
const REPORT_EVERY = 1000;
/** How often the clock is read inside a slice. */
const CLOCK_EVERY = 16;

/** Tells a long loop when its slice of time is spent, and yields to the event loop. */
class TimeSlice {
  private start = performance.now();

  due(index: number): boolean {
    return index % CLOCK_EVERY === 0 && performance.now() - this.start > SLICE_MS;
  }

  async yield(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.start = performance.now();
  }
}

/** Check results of records the pass just read, by 0-based line: what the Problems panel shows. */
export type CheckedRecords = { line: number; results: CheckResult[] }[];

export interface FactCounts {
  total: number;
  /** Records read so far; the counts are complete when this equals `total`. */
  known: number;
  reviewed: number;
  formats: Record<string, number>;
  review: Record<ReviewStatus, number>;
  checks: Record<string, number>;
  unrated: number;
  hasAlternatives: number;
  /** Records with a step whose labels disagree by at least DISAGREEMENT_THRESHOLD. */
  disagreement: number;
  /** Records each annotator did something in. */
  annotators: Record<string, number>;
  /** Conflicts and disagreements: records with a conflict a merge kept, or a step whose labels disagree. */
  conflicts: number;
}

/** A record's widest disagreement in a byte: 0 for none, else 1 + hundredths. */
const disagreementByte = (value: number | null): number => (value === null ? 0 : 1 + Math.round(value * 100));
const disagreementOf = (byte: number): number | null => (byte === 0 ? null : (byte - 1) / 100);

/** Annotators a table tells apart (a bit each); a record's later names are left out of the filter by annotator. */
const ANNOTATOR_BITS = 32;

/** Room for this many records when a table starts; it doubles as a dataset still being indexed grows. */
const FIRST_CAPACITY = 1024;

/**
 * What the sample list filters and counts on, for every record: a few bytes each, read by a background
 * pass that yields to the event loop and kept current by rereading only the lines an edit touched. While the
 * dataset is still being indexed (or another program appends to its file) the table grows with it and the
 * pass goes on with the records as they are indexed, so the first ones are counted and checked at once.
 * It is the one pass over the records: the same reading gives the list its facts, the Problems panel its check
 * results (`report`) and the overview its statistics (`stats`), which an edit updates by taking back the
 * line's old counts, so nothing reads the file again.
 */
export class FactTable {
  private formats = new Uint8Array(0);
  private reviews = new Uint8Array(0);
  private checks = new Uint16Array(0);
  private flags = new Uint8Array(0);
  private disagreements = new Uint8Array(0);
  /** Which annotators did something in each record, a bit per name in `annotatorNames`. */
  private annotators = new Uint32Array(0);
  private annotatorNames: string[] = [];
  private known = 0;
  private tally: StatsTally;
  /** Counts are read after every edit (status bar, list, filters); recomputed only after a change. */
  private cachedCounts: FactCounts | undefined;
  /** The pass under way: a second call joins it, since it reads on to the last record; a reset starts another. */
  private filling: { run: object; done: Promise<void> } | undefined;

  constructor(
    private dataset: Dataset,
    private readonly context: () => CheckContext,
    /** Receives the check results of each batch the pass reads, so no one else reads the records again. */
    private readonly report: (checked: CheckedRecords) => void,
  ) {
    this.tally = new StatsTally(dataset);
    this.reserve(Math.max(FIRST_CAPACITY, dataset.recordCount));
  }

  /** Forgets every record: a table for `dataset` that has read none of it. */
  private reset(dataset: Dataset): void {
    this.dataset = dataset;
    [this.formats, this.reviews, this.checks, this.flags, this.disagreements] = [
      new Uint8Array(0),
      new Uint8Array(0),
      new Uint16Array(0),
      new Uint8Array(0),
      new Uint8Array(0),
    ];
    this.annotators = new Uint32Array(0);
    this.annotatorNames = [];
    this.tally = new StatsTally(dataset);
    this.reserve(Math.max(FIRST_CAPACITY, dataset.recordCount));
    this.known = 0;
    this.cachedCounts = undefined;
    this.filling = undefined;
  }

  /** Makes room for `count` records, doubling, so that a growing dataset costs O(n) copies in all. */
  private reserve(count: number): void {
    if (count <= this.formats.length) return;
    let capacity = Math.max(FIRST_CAPACITY, this.formats.length);
    while (capacity < count) capacity *= 2;
    const formats = new Uint8Array(capacity).fill(UNKNOWN);
    formats.set(this.formats);
    const reviews = new Uint8Array(capacity);
    reviews.set(this.reviews);
    const checks = new Uint16Array(capacity);
    checks.set(this.checks);
    const flags = new Uint8Array(capacity);
    flags.set(this.flags);
    const disagreements = new Uint8Array(capacity);
    disagreements.set(this.disagreements);
    [this.formats, this.reviews, this.checks, this.flags, this.disagreements] = [formats, reviews, checks, flags, disagreements];
    const annotators = new Uint32Array(capacity);
    annotators.set(this.annotators);
    this.annotators = annotators;
  }

  /**
   * Reads every record once, reporting check results batch by batch, and goes on with records indexed
   * meanwhile until the index is complete; stops early if the dataset is replaced.
   */
  fill(): Promise<void> {
    if (!this.filling) {
      const run = {};
      // Set before the pass starts: the pass stops as soon as it is no longer the one under way.
      const filling: { run: object; done: Promise<void> } = { run, done: Promise.resolve() };
      this.filling = filling;
      filling.done = this.pass(this.dataset, run).finally(() => {
        if (this.filling?.run === run) this.filling = undefined;
      });
    }
    return this.filling.done;
  }

  private async pass(dataset: Dataset, run: object): Promise<void> {
    const context = this.context();
    let checked: CheckedRecords = [];
    const slice = new TimeSlice();
    for (let index = 0; index < dataset.recordCount || (await this.moreRecords(dataset)); index++) {
      if (slice.due(index)) {
        // The Problems panel republishes the file's diagnostics on each report; a few per second are enough.
        if (checked.length >= REPORT_EVERY) {
          this.report(checked);
          checked = [];
        }
        await slice.yield();
      }
      if (this.filling?.run !== run) return;
      if (index >= this.formats.length || this.formats[index] === UNKNOWN) checked.push(this.read(dataset, dataset.recordLine(index), context));
    }
    if (this.filling?.run === run) this.report(checked);
  }

  /** At the last record indexed so far: waits for the next stretch of the index; false once there is none. */
  private async moreRecords(dataset: Dataset): Promise<boolean> {
    return (await dataset.whenMoreRecords()) && dataset === this.dataset;
  }

  /**
   * After an edit: reread these 0-based lines, taking back the counts of the text each had before (`replaced`);
   * after a reload or a format change, or a line whose old text is not known: start over.
   */
  update(dataset: Dataset, lines: number[] | 'all', replaced?: ReadonlyMap<number, string>): Promise<void> | undefined {
    if (lines === 'all' || dataset !== this.dataset || lines.some((line) => this.isKnown(dataset, line) && !replaced?.has(line))) {
      this.reset(dataset);
      return this.fill();
    }
    const context = this.context();
    const records = lines.filter((line) => dataset.recordIndexOfLine(line) !== -1);
    for (const line of records) {
      const before = replaced?.get(line);
      // Lines that can be edited are valid UTF-8: their old text is checked as it was read.
      if (before !== undefined && this.isKnown(dataset, line)) this.forget(dataset.recordIndexOfLine(line), checkLine(before, context));
    }
    this.report(records.map((line) => this.read(dataset, line, context)));
    return undefined;
  }

  private isKnown(dataset: Dataset, line: number): boolean {
    const index = dataset.recordIndexOfLine(line);
    return index !== -1 && index < this.formats.length && this.formats[index] !== UNKNOWN;
  }

  private read(dataset: Dataset, line: number, context: CheckContext): CheckedRecords[number] {
    const { facts, check } = readFacts(dataset.lineText(line), context, dataset.invalidUtf8(line));
    this.learn(dataset.recordIndexOfLine(line), facts, check);
    return { line, results: check.results };
  }

  /** Records read so far. */
  get readCount(): number {
    return this.known;
  }

  /** The statistics of the records read so far (all of them once `counts().known` reaches the total). */
  stats(): DatasetStats {
    return this.tally.result();
  }

  /** The records read so far that fail a check, in file order: what a full report rereads, and nothing else. */
  *failing(): Generator<number> {
    for (let index = 0; index < Math.min(this.dataset.recordCount, this.checks.length); index++) if (this.checks[index] !== 0) yield index;
  }

  /** Counts over the records indexed so far: `total` grows while the dataset is indexed. */
  counts(): FactCounts {
    if (this.cachedCounts?.total !== this.dataset.recordCount) this.cachedCounts = this.countAll();
    return this.cachedCounts;
  }

  private countAll(): FactCounts {
    const total = this.dataset.recordCount;
    const counts: FactCounts = {
      total,
      known: this.known,
      reviewed: 0,
      formats: {},
      review: Object.fromEntries(REVIEWS.map((status) => [status, 0])) as Record<ReviewStatus, number>,
      checks: {},
      unrated: 0,
      hasAlternatives: 0,
      disagreement: 0,
      annotators: {},
      conflicts: 0,
    };
    const byAnnotator = new Array<number>(this.annotatorNames.length).fill(0);
    for (let index = 0; index < Math.min(total, this.formats.length); index++) {
      const format = this.formats[index];
      if (format === UNKNOWN) continue;
      const name = FACT_FORMATS[format];
      counts.formats[name] = (counts.formats[name] ?? 0) + 1;
      counts.review[REVIEWS[this.reviews[index]]]++;
      const mask = this.checks[index];
      if (mask !== 0) {
        CHECKS.forEach((check, bit) => {
          if (mask & (1 << bit)) counts.checks[check] = (counts.checks[check] ?? 0) + 1;
        });
      }
      if (this.flags[index] & UNRATED) counts.unrated++;
      if (this.flags[index] & HAS_ALTERNATIVES) counts.hasAlternatives++;
      for (let mask = this.annotators[index], bit = 0; mask !== 0; mask >>>= 1, bit++) if (mask & 1) byAnnotator[bit]++;
      const disagreeing = disagrees({ disagreement: disagreementOf(this.disagreements[index]) });
      if (disagreeing) counts.disagreement++;
      if (disagreeing || this.flags[index] & CONFLICTS) counts.conflicts++;
    }
    this.annotatorNames.forEach((name, bit) => {
      if (byAnnotator[bit] > 0) counts.annotators[name] = byAnnotator[bit];
    });
    counts.reviewed = counts.known - counts.review.unreviewed;
    return counts;
  }

  /**
   * The record indices that pass a filter, in file order; a text search rereads each candidate line. While
   * the dataset is still being indexed it reads on as records are indexed, so the view is of the whole file.
   * `onProgress` hears how many records were read of how many there are (so far) as the pass yields; an abort
   * stops it with the signal's reason.
   */
  async filter(filter: RecordFilter, options: { signal?: AbortSignal; onProgress?: (read: number, of: number) => void } = {}): Promise<Uint32Array> {
    const dataset = this.dataset;
    const context = this.context();
    const matches: number[] = [];
    const slice = new TimeSlice();
    for (let index = 0; index < dataset.recordCount || (await this.moreRecords(dataset)); index++) {
      if (slice.due(index)) {
        options.onProgress?.(index, dataset.recordCount);
        await slice.yield();
      }
      options.signal?.throwIfAborted();
      // A revert or reload replaced the dataset (and closed the old one's file): filter the one shown now.
      if (dataset !== this.dataset) return this.filter(filter, options);
      let facts = index >= this.formats.length || this.formats[index] === UNKNOWN ? undefined : this.factsAt(index);
      let text: string | undefined;
      if (!facts || filter.text) {
        const line = dataset.recordLine(index);
        const read = readFacts(dataset.lineText(line), context, dataset.invalidUtf8(line));
        if (!facts) this.learn(index, read.facts, read.check);
        facts = read.facts;
        text = read.text;
      }
      if (matchesFilter(facts, filter, text)) matches.push(index);
    }
    // Conflicts first, then the widest disagreement, where a reviewer's time pays most; ties keep the file's order (the sort is stable).
    const rank = (index: number) => (this.flags[index] & CONFLICTS ? 256 : 0) + this.disagreements[index];
    if (filter.order === 'disagreement') matches.sort((a, b) => rank(b) - rank(a));
    return Uint32Array.from(matches);
  }

  /** The checks a record fails, or undefined before the background pass has read it. */
  checksOf(index: number): string[] | undefined {
    if (index >= this.formats.length || this.formats[index] === UNKNOWN) return undefined;
    const mask = this.checks[index];
    return CHECKS.filter((_, bit) => mask & (1 << bit));
  }

  private factsAt(index: number): RecordFacts {
    const mask = this.checks[index];
    return {
      format: FACT_FORMATS[this.formats[index]],
      review: REVIEWS[this.reviews[index]],
      checks: CHECKS.filter((_, bit) => mask & (1 << bit)),
      unrated: (this.flags[index] & UNRATED) !== 0,
      hasAlternatives: (this.flags[index] & HAS_ALTERNATIVES) !== 0,
      disagreement: disagreementOf(this.disagreements[index]),
      annotators: this.annotatorNames.filter((_, bit) => this.annotators[index] & (1 << bit)),
      conflicts: (this.flags[index] & CONFLICTS) !== 0,
    };
  }

  /** Takes back a record's counts before it is read again. */
  private forget(index: number, old: LineCheck): void {
    this.tally.remove(old);
    this.formats[index] = UNKNOWN;
    this.known--;
  }

  /** Keeps a record's facts and, the first time it is read, counts it. */
  private learn(index: number, facts: RecordFacts, check: LineCheck): void {
    this.cachedCounts = undefined;
    this.reserve(index + 1);
    if (this.formats[index] === UNKNOWN) {
      this.known++;
      this.tally.add(check);
    }
    this.formats[index] = FACT_FORMATS.indexOf(facts.format);
    this.reviews[index] = REVIEWS.indexOf(facts.review);
    this.checks[index] = facts.checks.reduce((mask, check) => mask | (1 << CHECKS.indexOf(check)), 0);
    this.flags[index] = (facts.unrated ? UNRATED : 0) | (facts.hasAlternatives ? HAS_ALTERNATIVES : 0) | (facts.conflicts ? CONFLICTS : 0);
    this.disagreements[index] = disagreementByte(facts.disagreement);
    this.annotators[index] = facts.annotators.reduce((mask, name) => {
      const bit = this.annotatorBit(name);
      return bit === undefined ? mask : mask | (1 << bit);
    }, 0);
  }

  /** The bit that stands for an annotator, given on first sight; undefined once every bit is taken. */
  private annotatorBit(name: string): number | undefined {
    let bit = this.annotatorNames.indexOf(name);
    if (bit === -1 && this.annotatorNames.length < ANNOTATOR_BITS) bit = this.annotatorNames.push(name) - 1;
    return bit === -1 ? undefined : bit;
  }
}
