import { randomInt } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { z } from 'zod';
import { writeAll } from '../files/atomicWrite';
import { describeFileError } from '../files/fileErrors';

const headerSchema = z.object({
  /** The command that wrote it (`cot-studio regenerate --all`): another command's journal is not resumed. */
  journal: z.string(),
  /** The input as it was when the run started; any change makes the journal stale. */
  input: z.object({ file: z.string(), size: z.number(), mtimeMs: z.number() }),
  /** Everything else that decides the output, keyed by option (`--rank`). */
  settings: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  /** The seed every record's seed derives from; kept so a resumed run without --seed draws the same. */
  seed: z.number().int(),
});
type JournalHeader = z.infer<typeof headerSchema>;

/** What a run expects of a journal it may resume. */
export interface JournalKey extends Pick<JournalHeader, 'input' | 'settings'> {
  command: string;
}

/** What a command counts of a record (candidates, judge calls), kept in its entry and added up in the summary. */
export type Counts = Record<string, number>;

const entrySchema = z.object({
  /** 1-based line of the input. */
  line: z.number().int().min(1),
  /** The line as the command wrote it. */
  text: z.string(),
});

/** A finished record: stored as one object, `{line, text, ...counts}`, as `regenerate --all` always wrote it. */
export interface JournalEntry<C extends Counts> extends z.infer<typeof entrySchema> {
  counts: C;
}

/** A journal as found on disk: its header, its complete entries, and how many bytes they take. */
interface Found<C extends Counts> {
  header: JournalHeader;
  entries: Array<JournalEntry<C>>;
  length: number;
}

/**
 * Reads a journal this run may resume, or says why it may not. A kill can leave the last entry half-written,
 * without its newline: it is left out (and cut off before the next append); anything else unreadable makes the
 * whole journal unusable.
 */
function resumable<C extends Counts>(content: string, wanted: JournalKey, counts: z.ZodType<C>, seed: number | undefined): Found<C> | string {
  const lines = content.split('\n');
  const [first = ''] = lines;
  const header = headerSchema.safeParse(safeJson(first));
  if (lines.length < 2 || !header.success) return 'its header is unreadable';
  // Before the entries: another command's are not this one's to read.
  const stale = staleness(header.data, wanted, seed);
  if (stale !== undefined) return stale;
  const entries: Array<JournalEntry<C>> = [];
  let length = Buffer.byteLength(`${first}\n`);
  // The last piece, after the final newline, is empty or the half-written entry.
  for (const text of lines.slice(1, -1)) {
    const json = safeJson(text);
    const entry = entrySchema.safeParse(json);
    const counted = counts.safeParse(json);
    if (!entry.success || !counted.success) return `entry ${entries.length + 1} is unreadable`;
    entries.push({ ...entry.data, counts: counted.data });
    length += Buffer.byteLength(`${text}\n`);
  }
  return { header: header.data, entries, length };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Why a journal written by another run cannot be resumed by this one, or undefined when it can. */
function staleness(found: JournalHeader, wanted: JournalKey, seed: number | undefined): string | undefined {
  const { input } = wanted;
  if (found.journal !== wanted.command) return `it was written by ${found.journal}`;
  if (found.input.file !== input.file) return `it belongs to ${found.input.file}`;
  if (found.input.size !== input.size || found.input.mtimeMs !== input.mtimeMs)
    return `${input.file} changed since it was written (size or modification time differ)`;
  const keys = [...new Set([...Object.keys(found.settings), ...Object.keys(wanted.settings)])];
  const changed = keys.filter((key) => found.settings[key] !== wanted.settings[key]);
  if (changed.length > 0) return `it was written with other ${changed.join(', ')}`;
  if (seed !== undefined && seed !== found.seed) return `it was written with --seed ${found.seed}`;
  return undefined;
}

/**
 * Progress of a batch command (`regenerate --all`), next to its output: a JSON header line, then one line per record
 * done, each appended and flushed as the record finishes, so a run killed at any moment resumes where it stopped.
 */
export class BatchJournal<C extends Counts> {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly handle: fs.FileHandle,
    /** Bytes of complete entries: a failed append is cut back to this, so the journal never holds a partial entry mid-file. */
    private length: number,
    readonly seed: number,
    /** Records done by an earlier run, by 1-based line. */
    readonly done: ReadonlyMap<number, JournalEntry<C>>,
  ) {}

  /**
   * Resumes the journal when it was written for the same input and settings (adopting its seed when none is
   * given); otherwise starts a new one, telling `warn` why the old one was set aside.
   */
  static async open<C extends Counts>(
    file: string,
    wanted: JournalKey,
    counts: z.ZodType<C>,
    seed: number | undefined,
    warn: (message: string) => void,
  ): Promise<BatchJournal<C>> {
    const content = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (content !== undefined) {
      const found = resumable(content, wanted, counts, seed);
      if (typeof found !== 'string') {
        await fs.truncate(file, found.length);
        const done = new Map(found.entries.map((entry) => [entry.line, entry]));
        return new BatchJournal(file, await fs.open(file, 'a'), found.length, found.header.seed, done);
      }
      warn(`${file}: ${found}; starting over`);
    }
    const { command, input, settings } = wanted;
    const header: JournalHeader = { journal: command, input, settings, seed: seed ?? randomInt(0, 2 ** 31) };
    const handle = await fs.open(file, 'w');
    const length = await writeAll(handle, Buffer.from(`${JSON.stringify(header)}\n`)).catch(async (error: unknown) => {
      await handle.close();
      await fs.rm(file, { force: true });
      throw new Error(`cannot write ${file}: ${describeFileError(error)}`);
    });
    await handle.datasync();
    return new BatchJournal<C>(file, handle, length, header.seed, new Map());
  }

  /** Records a finished line; appends are queued so concurrent records never interleave. */
  append({ line, text, counts }: JournalEntry<C>): Promise<void> {
    this.writing = this.writing.then(async () => {
      try {
        const written = await writeAll(this.handle, Buffer.from(`${JSON.stringify({ line, text, ...counts })}\n`));
        await this.handle.datasync();
        this.length += written;
      } catch (error) {
        await this.handle.truncate(this.length).catch(() => undefined);
        throw new Error(`cannot write ${this.file}: ${describeFileError(error)}`);
      }
    });
    return this.writing;
  }

  async close(): Promise<void> {
    await this.writing.catch(() => undefined);
    await this.handle.close();
  }

  /** Once the output holds every record, the journal has nothing left to resume. */
  async remove(): Promise<void> {
    await this.close();
    await fs.rm(this.file, { force: true });
  }
}
