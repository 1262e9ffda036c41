import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { Dataset } from '../../src/dataset';
import { emptyAnnotations } from '../../src/dataset/annotations';
import { WORKER_THRESHOLD_BYTES } from '../../src/dataset/indexWorker';
import { FileSource } from '../../src/files/byteSource';
import { type CheckedRecords, FactTable } from '../../src/dataset/factTable';
import { overviewProgress } from '../../src/overview/progress';
import type { OverviewMessage } from '../../src/protocol';
import { datasetStats } from '../../src/dataset/validate';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-fact-table-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Records in the plain question/answer shape, some with a review; every fifth a line that is not JSON. */
function lineOf(index: number): string {
  if (index % 5 === 4) return `not JSON ${index}`;
  const review = index % 3 === 0 ? { review: { status: 'accepted' } } : {};
  return JSON.stringify({ question: `How many? (${index}) ${'x'.repeat(index % 200)}`, answer: String(index), ...review });
}

function fileOf(name: string, count: number): string {
  const file = path.join(scratch, name);
  fs.writeFileSync(file, Array.from({ length: count }, (_, index) => `${lineOf(index)}\n`).join(''));
  return file;
}

/** A text search, which reads every record's text again. */
const SEARCH = { text: '(1' };

/** The facts of every record, as a table filled at once over the whole file finds them. */
async function filledAtOnce(file: string) {
  const dataset = await Dataset.open(file);
  const table = new FactTable(
    dataset,
    () => ({ imageProblem: () => null }),
    () => undefined,
  );
  await table.fill();
  const counts = table.counts();
  const checks = Array.from({ length: dataset.recordCount }, (_, index) => table.checksOf(index));
  const found = Array.from(await table.filter(SEARCH));
  dataset.close();
  return { counts, checks, found };
}

describe('the facts of a dataset that grows', () => {
  it('are those of the whole file once the index is complete, read as records are indexed', async () => {
    // Past the size indexed on a worker, so that the records are indexed while the pass reads them.
    const count = Math.ceil(WORKER_THRESHOLD_BYTES / 60);
    const file = fileOf('growing.jsonl', count);
    assert.ok(fs.statSync(file).size > WORKER_THRESHOLD_BYTES);
    const dataset = await Dataset.openGrowing(file, { chunkBytes: 65_536 });
    assert.ok(dataset.indexing);
    const reported: number[] = [];
    const table = new FactTable(
      dataset,
      () => ({ imageProblem: () => null }),
      (checked: CheckedRecords) => reported.push(...checked.map((c) => c.line)),
    );
    const filtering = table.filter(SEARCH);
    await table.fill();
    assert.equal(dataset.indexing, false, 'the pass ends with the index');
    const expected = await filledAtOnce(file);
    assert.deepEqual(table.counts(), expected.counts);
    assert.equal(table.counts().known, count);
    assert.deepEqual(
      Array.from({ length: count }, (_, index) => table.checksOf(index)),
      expected.checks,
    );
    // The filter reads records too (and the pass skips those): none is read twice by the pass.
    assert.equal(new Set(reported).size, reported.length, 'no record checked twice');
    const found = Array.from(await filtering);
    assert.ok(found.length > 0 && found.length < count, `${found.length} found`);
    assert.deepEqual(found, expected.found, 'a filter started while indexing covers the whole file');
    dataset.close();
  });

  it('read on into lines another program appended', async () => {
    const file = fileOf('appended.jsonl', 50);
    const dataset = await Dataset.open(file);
    const table = new FactTable(
      dataset,
      () => ({ imageProblem: () => null }),
      () => undefined,
    );
    await table.fill();
    fs.appendFileSync(file, Array.from({ length: 3000 }, (_, offset) => `${lineOf(50 + offset)}\n`).join(''));
    assert.equal(await dataset.append(FileSource.open(file)), true);
    await table.fill();
    assert.deepEqual(table.counts(), (await filledAtOnce(file)).counts);
    dataset.close();
  });
});

describe('a filter over a large file', () => {
  it('says how far it has read as it goes, and stops when asked', async () => {
    const count = Math.ceil(WORKER_THRESHOLD_BYTES / 60);
    const file = fileOf('filtered.jsonl', count);
    const dataset = await Dataset.openGrowing(file, { chunkBytes: 65_536 });
    const table = new FactTable(
      dataset,
      () => ({ imageProblem: () => null }),
      () => undefined,
    );
    const progress: [number, number][] = [];
    const found = await table.filter(SEARCH, { onProgress: (read, of) => progress.push([read, of]) });
    assert.deepEqual(Array.from(found), (await filledAtOnce(file)).found, 'the same records as a filter that is not watched');
    assert.ok(progress.length > 1, `${progress.length} progress reports`);
    assert.ok(
      progress.every(([read, of], i) => read <= of && (i === 0 || read >= progress[i - 1][0])),
      'read grows and never passes the records indexed',
    );

    const stop = new AbortController();
    let reports = 0;
    const stopped = table.filter(SEARCH, {
      signal: stop.signal,
      onProgress: () => {
        reports++;
        stop.abort(new Error('a new filter came'));
      },
    });
    await assert.rejects(stopped, /a new filter came/);
    assert.equal(reports, 1, 'the pass stopped at the first chance');
    dataset.close();
  });
});

describe('the overview of a dataset that grows', () => {
  it('counts records as they are indexed, says how far, and ends with the counts of the whole file', async () => {
    const count = Math.ceil(WORKER_THRESHOLD_BYTES / 60);
    const file = fileOf('overview.jsonl', count);
    const context = { imageProblem: () => null };
    // Small chunks make the index take long enough for the pass to report while it goes on, on a fast machine too.
    const dataset = await Dataset.openGrowing(file, { chunkBytes: 16_384 });
    assert.ok(dataset.indexing);
    const messages: OverviewMessage[] = [];
    // The overview follows the one pass over the records: a message after each batch it reports, and at its end.
    const table: FactTable = new FactTable(
      dataset,
      () => context,
      () => messages.push(overviewProgress(dataset, table)),
    );
    await table.fill();
    messages.push(overviewProgress(dataset, table));
    const last = messages.at(-1);
    assert.ok(last?.complete, 'the last message has the complete counts');
    assert.equal(last.indexing, undefined);
    assert.equal(last.counted, count);
    const whole = await Dataset.open(file);
    assert.deepEqual(last.stats, datasetStats(whole, context), 'the counts of the whole file');
    whole.close();
    const firstComplete = messages.findIndex((message) => message.complete);
    const partial = messages.slice(0, firstComplete);
    assert.ok(partial.length > 0 && messages.slice(firstComplete).every((message) => message.complete), 'complete once, and from then on');
    assert.ok(
      partial.some((message) => message.indexing !== undefined && message.indexing < 1 && message.stats.records < count),
      'counts made while the file was indexed say how far it was',
    );
    for (const message of partial) assert.ok(message.counted <= message.stats.records, 'never more counted than indexed');
    assert.deepEqual(
      partial.map((message) => message.counted),
      partial.map((message) => message.counted).sort((a, b) => a - b),
      'the count only grows',
    );
    dataset.close();
  });

  it('follows edits and their undo by taking back the old text of the lines they change, without reading the file again', async () => {
    const file = fileOf('edited.jsonl', 40);
    const context = { imageProblem: () => null };
    const dataset = await Dataset.open(file);
    const table = new FactTable(
      dataset,
      () => context,
      () => undefined,
    );
    await table.fill();
    const before = dataset.lineText(3);
    const after = JSON.stringify({
      question: 'Which?',
      response: '<SUMMARY>s</SUMMARY><CAPTION>c</CAPTION><REASONING>r</REASONING><CONCLUSION>4</CONCLUSION>',
      cot_studio: { ...emptyAnnotations(), review: { status: 'rejected' } },
    });
    const changes = [{ line: 3, before, after }];
    dataset.apply(changes, 'forward');
    table.update(dataset, [3], new Map([[3, before]]));
    assert.deepEqual(table.stats(), datasetStats(dataset, context), 'the counts of the edited file');
    assert.equal(table.stats().review.rejected, 1);
    dataset.apply(changes, 'backward');
    table.update(dataset, [3], new Map([[3, after]]));
    const original = await Dataset.open(file);
    assert.deepEqual(table.stats(), datasetStats(original, context), 'the counts of the file as it was');
    assert.equal(table.readCount, dataset.recordCount);
    original.close();
    dataset.close();
  });
});
