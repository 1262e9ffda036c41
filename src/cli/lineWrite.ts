import { atomicWrite } from '../files/atomicWrite';
import { fileIdentity } from '../files/fileIdentity';
import { withFileLock } from '../files/fileLock';
import { openDatasetFile } from './datasetFile';

/** Another writer of the file (the editor's save, another run) holds it this long at most. */
const LOCK_WAIT_MS = 60_000;

/**
 * Puts a command's new text of one line in place, unless the line changed while it ran. The file is read again and
 * written under its lock, so two runs on one file at once both keep their lines, and the write stops if a
 * program that takes no lock wrote the file in between.
 */
export async function writeChangedLine(file: string, line: number, before: string, after: string, purpose: string): Promise<void> {
  await withFileLock(file, { purpose, waitMs: LOCK_WAIT_MS }, async () => {
    const expected = await fileIdentity(file);
    using current = await openDatasetFile(file);
    if (line > current.lineCount || current.lineText(line - 1) !== before)
      throw new Error(`${file}:${line}: the line changed while the command ran; not written`);
    current.setLineText(line - 1, after);
    await atomicWrite(file, current.chunks(), { expected: expected ?? 'missing', followLinks: true });
  });
}
