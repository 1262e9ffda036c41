// A process that saves a dataset as the editor does: opened by handle, one record edited, the file written over
// itself through a temporary file under its lock. Tests kill it while it writes. Arguments: file, 1-based line.
import { Dataset } from '../../src/dataset';
import { applyOperation } from '../../src/dataset/operations';
import { atomicWrite } from '../../src/files/atomicWrite';
import { fileIdentity } from '../../src/files/fileIdentity';
import { withFileLock } from '../../src/files/fileLock';

async function save(file: string, line: number): Promise<void> {
  const dataset = await Dataset.open(file);
  try {
    const before = dataset.lineText(line - 1);
    const { text } = applyOperation(
      before,
      { kind: 'setReviewStatus', line, status: 'accepted', note: 'checked' },
      { at: '2026-01-01T00:00:00Z', reflectionPhrase: 'Wait.' },
    );
    dataset.apply([{ line: line - 1, before, after: text }], 'forward');
    await withFileLock(file, { purpose: 'a test save', waitMs: 10_000 }, async () => {
      await atomicWrite(file, dataset.chunks(), { followLinks: true, expected: (await fileIdentity(file)) ?? 'missing' });
    });
  } finally {
    dataset.close();
  }
}

const [file, line] = process.argv.slice(2);
save(file ?? '', Number(line)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
