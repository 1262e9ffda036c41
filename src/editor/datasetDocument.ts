import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { z } from 'zod';
import { Dataset, type LineChange } from '../dataset';
import type { CheckContext } from '../dataset/checks';
import { ImageResolver } from '../dataset/images';
import { indexSource } from '../dataset/indexWorker';
import { atomicWrite, WriteError } from '../files/atomicWrite';
import { BufferSource, type ByteSource, collectChunks, FileSource } from '../files/byteSource';
import { type FileIdentity, fileIdentity } from '../files/fileIdentity';
import { withFileLock } from '../files/fileLock';
import { applyOperation, type OperationContext, type OperationResult } from '../dataset/operations';
import type { FormatId } from '../dataset/record';
import { readReflectionPhrase, readSetting } from '../settings/reader';
import type { Operation } from '../protocol';
import { type CheckedRecords, FactTable } from '../dataset/factTable';
import { errorMessage } from '../errors/message';
import { annotatorFor, learnAnnotator } from './annotator';

/** What a hot-exit backup holds: only the changed lines, with the text each had on disk to check against. */
const backupSchema = z.object({
  version: z.literal(1),
  changes: z.array(z.object({ line: z.number().int().min(0), before: z.string(), after: z.string() })),
});

/** The `cotStudio.format` setting for a file: a format to read every record as, or undefined to detect. */
function configuredFormat(uri: vscode.Uri): FormatId | undefined {
  const format = readSetting('format', uri);
  return format === 'auto' ? undefined : format;
}

/**
 * Up to this size a local file is held whole: another program that rewrites it in place (rather than replacing
 * it) cannot then take away the bytes an unsaved version is made of, so "keep my version" still works. A larger
 * file is read on demand; after such a rewrite its save refuses, and the edits are reapplied to a reload.
 */
const HELD_WHOLE_BYTES = 64 * 1024 * 1024;

/** The bytes a saved or opened local file is read from: held whole when small, else read on demand. */
async function localSource(file: string): Promise<ByteSource> {
  const { size } = await stat(file);
  return size <= HELD_WHOLE_BYTES ? new BufferSource(await readFile(file)) : FileSource.open(file);
}

/**
 * A large local file is opened as soon as its first stretch of lines is indexed, the rest indexed while its
 * first records are shown, its lines read when shown, so that its size does not matter; a small one, and a
 * file of another file system, is read whole.
 */
async function readDataset(uri: vscode.Uri): Promise<Dataset> {
  const name = path.basename(uri.path);
  let dataset: Dataset;
  if (uri.scheme !== 'file') dataset = await Dataset.load(name, await vscode.workspace.fs.readFile(uri));
  else if ((await stat(uri.fsPath)).size > HELD_WHOLE_BYTES) dataset = await Dataset.openGrowing(uri.fsPath);
  else dataset = await Dataset.load(name, await readFile(uri.fsPath));
  dataset.format = configuredFormat(uri);
  return dataset;
}

/** A CLI run writing the same file holds it for a moment; a save waits that long before it gives up. */
const SAVE_LOCK_WAIT_MS = 10_000;

/**
 * Writes the dataset with `changes` in place of `uri`, and opens what was written. A local file is written
 * under its lock (so a `cot-studio` run writing it at the same time is waited for) and only while it is still
 * `expected`, the version this save decided about; a symbolic link is written through. Its unchanged bytes are
 * copied from the file as opened, a few megabytes at a time.
 */
async function writeDataset(uri: vscode.Uri, dataset: Dataset, changes: ReadonlyMap<number, string>, expected?: FileIdentity | 'missing'): Promise<ByteSource> {
  if (uri.scheme !== 'file') {
    const bytes = await collectChunks(dataset.chunks(changes));
    await vscode.workspace.fs.writeFile(uri, bytes);
    return new BufferSource(bytes);
  }
  await atomicWrite(uri.fsPath, dataset.chunks(changes), { followLinks: true, ...(expected === undefined ? {} : { expected }) });
  return localSource(uri.fsPath);
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/**
 * A dataset open in the editor. Every change is a line replacement with its inverse, handed to VS Code as
 * an edit so that undo, redo, dirty state and hot exit work as for any file.
 */
export class DatasetDocument implements vscode.CustomDocument {
  private readonly disposed = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposed.event;
  private readonly edited = new vscode.EventEmitter<vscode.CustomDocumentEditEvent<DatasetDocument>>();
  /** For VS Code: an undoable edit happened. */
  readonly onDidEdit = this.edited.event;
  /** Lines that changed (0-based), with the text each had before where it is known: the counts take it back. */
  private readonly contentChanged = new vscode.EventEmitter<{ lines: number[] | 'all'; replaced?: ReadonlyMap<number, string> }>();
  /** For the views: these lines (or the whole file) now read differently. */
  readonly onDidChangeContent = this.contentChanged.event;
  private readonly recordsChecked = new vscode.EventEmitter<CheckedRecords>();
  /** The background pass (or an edit) checked these records: the one source of the Problems panel. */
  readonly onDidCheckRecords = this.recordsChecked.event;
  private readonly factsCounted = new vscode.EventEmitter<void>();
  /** The background pass over every record finished: counts, progress and check badges are complete. */
  readonly onDidCountFacts = this.factsCounted.event;
  /** The disk version changed under unsaved edits and the user kept theirs: keep a copy of it before saving over it. */
  private diskDiverged = false;
  private readonly watcher: vscode.FileSystemWatcher | undefined;
  private readonly configuration: vscode.Disposable;
  /** Format, review status, failing checks and flags of every record, for filters, counts and progress. */
  readonly facts: FactTable;
  /** Size and time of the file as we last read or wrote it, to tell our own saves from other programs' writes. */
  private diskStamp = '';
  /** Counts saves, reverts and reloads: an answer to a question asked before one of them no longer applies. */
  private generation = 0;
  /** Disposed: the dataset's file is closed. */
  private closed = false;
  /** The save being written, if one is. */
  private saving: Promise<void> | undefined;
  private readonly grown = new vscode.EventEmitter<void>();
  /** More lines were indexed (the file is still being indexed, or another program appended to it), or indexing ended. */
  readonly onDidGrow = this.grown.event;
  /** Stops listening to the current dataset's growth. */
  private stopGrowth: () => void = () => undefined;
  /** Changes on disk are looked at one after another: appends come in quick succession. */
  private diskChecks: Promise<void> = Promise.resolve();

  private constructor(
    readonly uri: vscode.Uri,
    private current: Dataset,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.facts = new FactTable(
      current,
      () => this.checkContext(),
      (checked) => this.recordsChecked.fire(checked),
    );
    this.followGrowth(current);
    this.contentChanged.event(({ lines, replaced }) => {
      const filling = this.facts.update(this.current, lines, replaced);
      void filling?.then(() => this.factsCounted.fire());
    });
    this.configuration = vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration('cotStudio.format', uri)) return;
      this.current.format = configuredFormat(uri);
      this.contentChanged.fire({ lines: 'all' });
    });
    if (uri.scheme === 'file') {
      this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), path.basename(uri.path)));
      // A program that saves by writing a new file and renaming it over ours (as our own save does) shows as a create.
      const check = () => {
        this.diskChecks = this.diskChecks
          .then(() => this.onDiskChange())
          .catch((error: unknown) => this.log.error(`${this.current.fileName}: ${errorMessage(error)}`));
      };
      this.watcher.onDidChange(check);
      this.watcher.onDidCreate(check);
      this.watcher.onDidDelete(() => void this.onDiskDelete());
    }
  }

  static async open(uri: vscode.Uri, backupId: string | undefined, log: vscode.LogOutputChannel): Promise<DatasetDocument> {
    const [dataset] = await Promise.all([readDataset(uri), learnAnnotator(uri)]);
    const document = new DatasetDocument(uri, dataset, log);
    try {
      document.diskStamp = await document.readDiskStamp();
      if (backupId) await document.restore(vscode.Uri.parse(backupId));
    } catch (error) {
      document.dispose();
      throw error;
    }
    return document;
  }

  get dataset(): Dataset {
    return this.current;
  }

  /** Passes on the growth of a dataset as its index is built, and reports a scan that failed. */
  private followGrowth(dataset: Dataset): void {
    this.stopGrowth();
    let reported = false;
    this.stopGrowth = dataset.onGrow(() => {
      this.grown.fire();
      if (reported || dataset.indexing) return;
      reported = true;
      dataset.whenIndexed().catch((error: unknown) => {
        if (this.closed || dataset !== this.current) return;
        const message = errorMessage(error);
        this.log.error(message);
        void vscode.window.showErrorMessage(vscode.l10n.t('CoT Studio: {0}', message));
      });
    });
  }

  /**
   * Waits until the dataset is indexed up to the 0-based `line` (by default to its end), showing progress titled
   * `title` when it is not yet; false when the file ends before that line.
   */
  async whenIndexed(title: string, line?: number): Promise<boolean> {
    const dataset = this.current;
    if (!dataset.indexing) return dataset.whenIndexed(line);
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, async (progress) => {
      let reported = 0;
      const stop = dataset.onGrow(() => {
        const { indexed, total } = dataset.indexProgress;
        const percent = total === 0 ? 100 : Math.floor((indexed / total) * 100);
        progress.report({ increment: percent - reported, message: `${percent}%` });
        reported = percent;
      });
      try {
        return await dataset.whenIndexed(line);
      } finally {
        stop();
      }
    });
  }

  /** Starts the background pass over every record; called once listeners (views, Problems panel) are attached. */
  startBackgroundChecks(): void {
    void this.facts.fill().then(() => this.factsCounted.fire());
  }

  /** Where record images may come from: the dataset's folder and the configured image roots. */
  imageRoots(): string[] {
    const roots = readSetting('imageRoots', this.uri);
    return [path.dirname(this.uri.fsPath), ...roots.map((root) => path.resolve(path.dirname(this.uri.fsPath), root))];
  }

  /** What the checks need to know about this file: where its images are, its format, the reflection phrase. */
  checkContext(): CheckContext {
    const [datasetDir, ...roots] = this.imageRoots();
    const images = new ImageResolver(datasetDir, roots);
    return { imageProblem: (image) => images.problem(image), reflectionPhrase: readReflectionPhrase(this.uri), format: this.current.format };
  }

  /** Runs an operation on one record and records it for undo; returns the undo label, or undefined if nothing changed. */
  applyOperation(operation: Operation, context: Partial<OperationContext> = {}): string | undefined {
    const line = operation.line - 1;
    if (line >= this.current.lineCount && this.current.indexing)
      throw new Error(vscode.l10n.t('{0} is still being indexed; line {1} is not indexed yet', this.current.fileName, operation.line));
    if (line >= this.current.lineCount)
      throw new Error(vscode.l10n.t('{0} has {1} lines; there is no line {2}', this.current.fileName, this.current.lineCount, operation.line));
    if (this.current.recordIndexOfLine(line) === -1) throw new Error(vscode.l10n.t('{0}:{1} is blank', this.current.fileName, operation.line));
    const before = this.current.lineText(line);
    let result: OperationResult;
    try {
      const annotator = annotatorFor(this.uri);
      const defaults: OperationContext = {
        at: new Date().toISOString(),
        reflectionPhrase: readReflectionPhrase(this.uri),
        format: this.current.format,
        ...(annotator === undefined ? {} : { annotator }),
      };
      result = applyOperation(before, operation, { ...defaults, ...context });
    } catch (error) {
      throw new Error(`${this.current.fileName}:${operation.line}: ${errorMessage(error)}`);
    }
    if (result.text === before) return undefined;
    this.change([{ line, before, after: result.text }], result.label);
    return result.label;
  }

  private change(changes: LineChange[], label: string): void {
    this.current.apply(changes, 'forward');
    this.contentChanged.fire({ lines: changes.map((c) => c.line), replaced: new Map(changes.map((c) => [c.line, c.before])) });
    this.edited.fire({
      document: this,
      label,
      undo: () => this.step(changes, 'backward'),
      redo: () => this.step(changes, 'forward'),
    });
  }

  private step(changes: LineChange[], direction: 'forward' | 'backward'): void {
    this.current.apply(changes, direction);
    const replaced = new Map(changes.map((c) => [c.line, direction === 'forward' ? c.before : c.after]));
    this.contentChanged.fire({ lines: changes.map((c) => c.line), replaced });
  }

  /**
   * VS Code may ask for a save again while one is being written (a file of gigabytes takes a while): the request
   * waits for it and writes only what is still unsaved, rather than wait for the file's lock and give up.
   */
  save(): Promise<void> {
    const previous = this.saving;
    const next = previous === undefined ? this.write() : previous.catch(() => undefined).then(() => (this.current.isChanged ? this.write() : undefined));
    this.saving = next;
    const settled = (): void => {
      if (this.saving === next) this.saving = undefined;
    };
    next.then(settled, settled);
    return next;
  }

  private async write(): Promise<void> {
    // Unchanged bytes are copied from the file as indexed: a save waits for the whole index (edits go on meanwhile).
    await this.whenIndexed(vscode.l10n.t('Indexing {0} before saving it', this.current.fileName));
    // A version on disk that we never read (another program's, not yet reported, or reported but not yet answered
    // for, as when an auto save comes first) is copied aside before it is written over, as Keep My Version does.
    // The edits as they are now: edits made while the file is written stay unsaved changes.
    const changes = this.current.snapshot();
    const dataset = this.current;
    const saved = await this.underLock(async () => {
      for (let attempt = 1; ; attempt++) {
        const expected = this.uri.scheme === 'file' ? ((await fileIdentity(this.uri.fsPath)) ?? 'missing') : undefined;
        const onDisk = await this.readDiskStamp();
        if (onDisk !== 'missing' && (this.diskDiverged || onDisk !== this.diskStamp)) await this.keepDiskCopy();
        try {
          // Opened under the lock: a writer that comes right after must not pass for this save.
          const written = await writeDataset(this.uri, dataset, changes, expected);
          this.diskStamp = await this.readDiskStamp();
          return written;
        } catch (error) {
          // Another program replaced the file while this save wrote it (a long save of a large file): its
          // version is copied aside as above and this one written again, so both are kept.
          if (attempt > 1 || !(error instanceof WriteError && error.code === 'ECHANGED')) throw error;
          this.diskDiverged = true;
        }
      }
    });
    this.generation++;
    // The saved file is the new base, read through a handle of its own; the undo stack keeps working because
    // line numbers never move. Its index is worked out from the old one: reading a large file again would cost
    // as much as the save. A file of another size is another program's, renamed over ours since: that one is read.
    let lines = dataset.indexAfterSave(changes);
    try {
      if (saved.byteLength !== lines.byteLength) lines = await indexSource(saved);
    } catch (error) {
      saved.close();
      throw error;
    }
    // A revert, reload or close while the saved file was indexed let this dataset go: so does the save.
    if (dataset !== this.current || this.closed) {
      saved.close();
      return;
    }
    dataset.rebase({ source: saved, lines }, changes);
    this.diskDiverged = false;
  }

  async saveAs(destination: vscode.Uri): Promise<void> {
    await this.whenIndexed(vscode.l10n.t('Indexing {0} before saving a copy', this.current.fileName));
    const written = await this.underLock(() => writeDataset(destination, this.current, this.current.snapshot()), destination);
    written.close();
  }

  /** Runs a write of a local file under its lock, which `cot-studio` writers of the same file take too. */
  private underLock<T>(write: () => Promise<T>, target = this.uri): Promise<T> {
    if (target.scheme !== 'file') return write();
    return withFileLock(target.fsPath, { purpose: 'a CoT Studio editor save', waitMs: SAVE_LOCK_WAIT_MS }, write);
  }

  async revert(): Promise<void> {
    this.generation++;
    const next = await readDataset(this.uri);
    this.diskStamp = await this.readDiskStamp();
    this.diskDiverged = false;
    this.replace(next);
  }

  /**
   * Reads from `next` from now on. The views and background passes learn of it in the same step, and stop
   * reading the old dataset before its file is closed.
   */
  private replace(next: Dataset): void {
    const old = this.current;
    this.current = next;
    this.followGrowth(next);
    this.contentChanged.fire({ lines: 'all' });
    if (old !== next) old.close();
  }

  async backup(destination: vscode.Uri): Promise<vscode.CustomDocumentBackup> {
    const content = Buffer.from(JSON.stringify({ version: 1, changes: this.current.changes() }), 'utf8');
    // A backup cut short by a full disk must not replace the last complete one.
    if (destination.scheme === 'file') {
      await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(destination, '..'));
      await atomicWrite(destination.fsPath, [content]);
    } else await vscode.workspace.fs.writeFile(destination, content);
    return {
      id: destination.toString(),
      delete: () => void vscode.workspace.fs.delete(destination).then(undefined, () => undefined),
    };
  }

  dispose(): void {
    this.closed = true;
    this.stopGrowth();
    this.current.close();
    this.watcher?.dispose();
    this.configuration.dispose();
    this.disposed.fire();
    for (const emitter of [this.disposed, this.edited, this.contentChanged, this.recordsChecked, this.factsCounted, this.grown]) emitter.dispose();
  }

  /** Reapplies backed-up line changes; any that no longer fit the file on disk are saved beside it. */
  private async restore(backup: vscode.Uri): Promise<void> {
    const parsed = backupSchema.safeParse(JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(backup)).toString('utf8')));
    if (!parsed.success) throw new Error(`the backup of ${this.current.fileName} is unreadable: ${parsed.error.message}`);
    await this.reapply(this.current, parsed.data.changes, 'backup');
  }

  private async reapply(dataset: Dataset, changes: LineChange[], from: 'backup' | 'disk'): Promise<void> {
    const conflicts = dataset.reapply(changes);
    if (conflicts.length === 0) return;
    const file = `${this.uri.fsPath}.cot-studio-unapplied-${stamp()}.jsonl`;
    await atomicWrite(file, [Buffer.from(`${conflicts.map((c) => c.after).join('\n')}\n`, 'utf8')]);
    const lines = conflicts.map((c) => c.line + 1).join(', ');
    const side = path.basename(file);
    const message =
      from === 'backup'
        ? vscode.l10n.t(
            '{0}: edits of line(s) {1} restored from the backup no longer match the file on disk; they are saved in {2}.',
            this.current.fileName,
            lines,
            side,
          )
        : vscode.l10n.t(
            '{0}: edits of line(s) {1} made before the file changed on disk no longer match the file on disk; they are saved in {2}.',
            this.current.fileName,
            lines,
            side,
          );
    this.log.warn(message);
    void vscode.window.showWarningMessage(message);
  }

  private async keepDiskCopy(): Promise<void> {
    const copy = `${this.uri.fsPath}.cot-studio-disk-${stamp()}.jsonl`;
    // Copied through a temporary file: a copy cut short by a full disk stops the save and leaves no partial side file.
    if (this.uri.scheme === 'file') await atomicWrite(copy, createReadStream(this.uri.fsPath));
    else await vscode.workspace.fs.copy(this.uri, vscode.Uri.file(copy), { overwrite: false });
    const message = vscode.l10n.t('{0} had changed on disk; that version is kept as {1}.', this.current.fileName, path.basename(copy));
    this.log.info(message);
    void vscode.window.showInformationMessage(message);
  }

  /** Another program changed the file: reload if nothing is unsaved, otherwise ask, and lose nothing. */
  private async onDiskChange(): Promise<void> {
    const stamp = await this.readDiskStamp();
    if (stamp === this.diskStamp) return; // our own save, or a touch that changed nothing
    if (await this.readAppended()) {
      this.diskStamp = stamp;
      return;
    }
    if (!this.current.isChanged) {
      await this.revert();
      return;
    }
    const reload = vscode.l10n.t('Reload and Reapply My Edits');
    const keep = vscode.l10n.t('Keep My Version');
    const asked = this.generation;
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('{0} changed on disk while it has unsaved edits.', this.current.fileName),
      {
        detail: vscode.l10n.t(
          'Reload reads the new file and reapplies your edits to the lines they still fit (the others are saved to a side file). Keep saves your version over it, after copying the disk version aside.',
        ),
      },
      reload,
      keep,
    );
    // A save, revert or reload while the question was open already dealt with this disk version (a save copied it aside).
    if (this.generation !== asked) return;
    if (choice === reload) {
      this.generation++;
      const mine = this.current.changes();
      const next = await readDataset(this.uri);
      this.diskStamp = stamp;
      try {
        await this.reapply(next, mine, 'disk');
      } catch (error) {
        next.close();
        throw error;
      }
      this.replace(next);
      // The reapplied edits are unsaved work on the new file: one edit that undo takes off and redo puts back.
      const reapplied = this.current.changes();
      this.edited.fire({
        document: this,
        label: vscode.l10n.t('Reapply edits to the file from disk'),
        undo: () => this.step(reapplied, 'backward'),
        redo: () => this.step(reapplied, 'forward'),
      });
    } else {
      this.diskStamp = stamp;
      this.diskDiverged = true;
    }
  }

  /**
   * Reads on from where the file ended when another program only appended to it (the bytes read are still
   * there, in the same file): the new lines join the list, edits stay, and nothing is reloaded. A last line
   * that had no line ending yet is read again whole. False when the change is not such an append.
   */
  private async readAppended(): Promise<boolean> {
    if (this.uri.scheme !== 'file' || this.diskDiverged) return false;
    const dataset = this.current;
    // The file grew while it was indexed: the index reaches the size it had when opened first.
    if (
      !(await dataset.whenIndexed().then(
        () => true,
        () => false,
      )) ||
      dataset !== this.current ||
      this.closed
    )
      return false;
    let next: ByteSource;
    try {
      next = await localSource(this.uri.fsPath);
    } catch {
      return false;
    }
    const reopened = dataset.endsInOpenLine ? dataset.lineCount - 1 : undefined;
    const before = dataset.lineCount;
    let appended: boolean;
    try {
      appended = await dataset.append(next);
    } catch (error) {
      // The dataset reads from the new version already; what could not be indexed is reported as a failed scan.
      const message = errorMessage(error);
      this.log.error(message);
      void vscode.window.showErrorMessage(vscode.l10n.t('CoT Studio: {0}', message));
      return true;
    }
    if (!appended) {
      next.close();
      return false;
    }
    if (dataset.lineCount !== before || reopened !== undefined) {
      this.log.info(`${dataset.fileName}: ${dataset.lineCount - before} line(s) appended on disk were read`);
      void this.facts.fill().then(() => this.factsCounted.fire());
      // The last line read before was still being written: it reads differently now.
      if (reopened !== undefined) this.contentChanged.fire({ lines: [reopened] });
      this.grown.fire();
    }
    return true;
  }

  /** The file went away: what is open stays, and a save writes it back. */
  private async onDiskDelete(): Promise<void> {
    const stamp = await this.readDiskStamp();
    if (stamp !== 'missing') return; // replaced rather than deleted: the create event handles it
    this.diskStamp = stamp;
    const message = vscode.l10n.t('{0} was deleted on disk. It stays open here; save to write it again.', this.current.fileName);
    this.log.warn(message);
    void vscode.window.showWarningMessage(message);
  }

  private async readDiskStamp(): Promise<string> {
    try {
      const stat = await vscode.workspace.fs.stat(this.uri);
      return `${stat.size}:${stat.mtime}`;
    } catch {
      return 'missing';
    }
  }
}
