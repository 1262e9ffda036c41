import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { BatchJournal } from '../../src/cli/batchJournal';

const regenerationCounts = z.object({ candidates: z.number(), judgeCalls: z.number(), tokensComputed: z.number() });
const input = { file: '/data/in.jsonl', size: 10, mtimeMs: 5 };
const settings = { '--rank': 'logprob', '--filter': 'all' };

/** A journal as `regenerate --all` wrote it before other commands shared the runner: its header and two records. */
const WRITTEN_BEFORE = [
  JSON.stringify({ journal: 'cot-studio regenerate --all', input, settings, seed: 42 }),
  JSON.stringify({ line: 1, text: '{"a":1}', candidates: 3, judgeCalls: 0, tokensComputed: 120 }),
  JSON.stringify({ line: 3, text: '{"b":2}', candidates: 1, judgeCalls: 2, tokensComputed: 80 }),
  '',
].join('\n');

describe('the batch journal', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-journal-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('resumes a journal regenerate --all wrote before, with its seed and its records', async () => {
    const file = path.join(dir, 'resume.journal');
    fs.writeFileSync(file, WRITTEN_BEFORE);
    const warnings: string[] = [];
    const journal = await BatchJournal.open(file, { command: 'cot-studio regenerate --all', input, settings }, regenerationCounts, undefined, (w) =>
      warnings.push(w),
    );
    assert.deepEqual(warnings, []);
    assert.equal(journal.seed, 42);
    assert.deepEqual(
      [...journal.done.values()],
      [
        { line: 1, text: '{"a":1}', counts: { candidates: 3, judgeCalls: 0, tokensComputed: 120 } },
        { line: 3, text: '{"b":2}', counts: { candidates: 1, judgeCalls: 2, tokensComputed: 80 } },
      ],
    );
    await journal.append({ line: 4, text: '{"c":3}', counts: { candidates: 2, judgeCalls: 1, tokensComputed: 9 } });
    await journal.close();
    assert.equal(
      fs.readFileSync(file, 'utf8'),
      `${WRITTEN_BEFORE}${JSON.stringify({ line: 4, text: '{"c":3}', candidates: 2, judgeCalls: 1, tokensComputed: 9 })}\n`,
      'entries are written as they always were',
    );
  });

  it("sets aside another command's journal, or one whose entries lack the counts, saying why", async () => {
    const file = path.join(dir, 'other.journal');
    fs.writeFileSync(file, WRITTEN_BEFORE);
    const warnings: string[] = [];
    const prelabelCounts = z.object({ labelled: z.number(), missing: z.number(), calls: z.number() });
    const other = await BatchJournal.open(file, { command: 'cot-studio prelabel --all', input, settings }, prelabelCounts, undefined, (w) => warnings.push(w));
    assert.deepEqual(warnings, [`${file}: it was written by cot-studio regenerate --all; starting over`]);
    assert.equal(other.done.size, 0);
    await other.close();
    assert.match(fs.readFileSync(file, 'utf8'), /^\{"journal":"cot-studio prelabel --all"/);

    // The same command, but entries written without the counts it keeps.
    fs.writeFileSync(file, WRITTEN_BEFORE.replace('cot-studio regenerate --all', 'cot-studio prelabel --all'));
    const unreadable = await BatchJournal.open(file, { command: 'cot-studio prelabel --all', input, settings }, prelabelCounts, undefined, (w) =>
      warnings.push(w),
    );
    assert.equal(warnings[1], `${file}: entry 1 is unreadable; starting over`);
    assert.equal(unreadable.done.size, 0);
    await unreadable.remove();
  });
});
