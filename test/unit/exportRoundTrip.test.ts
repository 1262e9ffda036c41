// Every format CoT Studio writes is also read: an export opened again holds the same records, and exporting
// it again in the same format gives the same rows.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_REFLECTION_PHRASE } from '../../src/dataset/annotations';
import { checkLine } from '../../src/dataset/checks';
import { parseRecord } from '../../src/dataset/formats';
import { applyOperation } from '../../src/dataset/operations';
import type { JsonObject } from '../../src/dataset/record';
import { exportFormatSchema, type ExportFormat } from '../../src/export';
import { runCli } from '../harness/cli';
import { datasetsDir, fixturesDir, makeWorkspace } from '../harness/fixtures';
import { PNG_BASE64 } from '../harness/imageFolders';

const lines = (file: string): string[] =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');

/** The LLaVA-CoT sample with a review and every stage rated (last one wrong), so step and KTO formats have labels. */
function reviewedLlava(): string {
  return lines(path.join(datasetsDir, 'llava_cot.jsonl'))
    .slice(0, 4)
    .map((line, index) => {
      const record = JSON.parse(line) as JsonObject;
      const ratings = { '0': { rating: 1 }, '1': { rating: 1 }, '2': { rating: 1 }, '3': { rating: index % 2 === 0 ? 1 : -1 } };
      return JSON.stringify({ ...record, cot_studio: { version: 1, review: { status: index === 3 ? 'rejected' : 'accepted' }, segments: ratings } });
    })
    .join('\n');
}

const SOURCES: Record<ExportFormat, string> = {
  'trl-sft': 'llava_cot.jsonl',
  'trl-dpo': 'mmpr.jsonl',
  'trl-stepwise': 'reviewed.jsonl',
  'trl-kto': 'reviewed.jsonl',
  'llamafactory-sharegpt': 'llava_cot.jsonl',
  'openai-chat': 'llava_cot.jsonl',
  'openai-dpo': 'mmpr.jsonl',
  prm800k: 'reviewed.jsonl',
  mmpr: 'mmpr.jsonl',
  mulberry: 'mulberry.jsonl',
  visualprm: 'visualprm.jsonl',
  'visualprm-conversation': 'visualprm.jsonl',
};

describe('every export format read back', () => {
  let workspace: string;
  before(() => {
    workspace = makeWorkspace('cot-studio-round-trip-');
    fs.writeFileSync(path.join(workspace, 'reviewed.jsonl'), reviewedLlava());
    // VisualPRM's raw record with its Monte Carlo scores, and a picture where its image path points.
    fs.copyFileSync(path.join(fixturesDir, 'real', 'internvl-visualprm-raw-handwritten.jsonl'), path.join(workspace, 'visualprm.jsonl'));
    fs.mkdirSync(path.join(workspace, 'geo3k', 'train', '567'), { recursive: true });
    fs.writeFileSync(path.join(workspace, 'geo3k', 'train', '567', 'img_diagram.png'), Buffer.from(PNG_BASE64, 'base64'));
  });
  after(() => fs.rmSync(workspace, { recursive: true, force: true }));

  for (const format of exportFormatSchema.options) {
    it(`${format}: the export reads as records, and exporting it again gives the same rows`, async () => {
      const first = path.join(workspace, `${format}.first.jsonl`);
      const written = await runCli('export', path.join(workspace, SOURCES[format]), '--format', format, '-o', first, '--include-rejected');
      assert.ok(written.code === 0 || written.code === 1, written.stderr);
      const rows = lines(first);
      assert.ok(rows.length > 0, `${format}: the export wrote rows (${written.stderr})`);
      for (const [index, row] of rows.entries()) {
        const read = parseRecord(JSON.parse(row) as JsonObject);
        assert.ok(!('error' in read), `${format} row ${index + 1} reads as a record: ${'error' in read ? read.error : ''}`);
      }
      const second = path.join(workspace, `${format}.second.jsonl`);
      const again = await runCli('export', first, '--format', format, '-o', second, '--include-rejected');
      assert.equal(again.code, 0, `${format}: ${again.stderr}`);
      assert.deepEqual(
        lines(second).map((row) => JSON.parse(row) as unknown),
        rows.map((row) => JSON.parse(row) as unknown),
      );
    });
  }
});

describe('a multi-turn conversation read back', () => {
  let workspace: string;
  before(() => {
    workspace = makeWorkspace('cot-studio-round-trip-turns-');
    fs.copyFileSync(path.join(fixturesDir, 'real', 'llamafactory-mllm-demo.jsonl'), path.join(workspace, 'mllm_demo.jsonl'));
    fs.mkdirSync(path.join(workspace, 'mllm_demo_data'));
    for (const name of ['1.jpg', '2.jpg', '3.jpg']) fs.writeFileSync(path.join(workspace, 'mllm_demo_data', name), Buffer.from(PNG_BASE64, 'base64'));
  });
  after(() => fs.rmSync(workspace, { recursive: true, force: true }));

  for (const format of ['trl-sft', 'llamafactory-sharegpt', 'openai-chat'] as const) {
    it(`${format}: every turn comes back, and exporting it again gives the same rows`, async () => {
      const first = path.join(workspace, `${format}.first.jsonl`);
      const written = await runCli('export', path.join(workspace, 'mllm_demo.jsonl'), '--format', format, '-o', first);
      assert.equal(written.code, 0, written.stderr);
      const rows = lines(first);
      assert.equal(rows.length, 6);
      for (const row of rows) {
        const read = parseRecord(JSON.parse(row) as JsonObject);
        assert.ok(!('error' in read), 'error' in read ? read.error : '');
        assert.equal(read.conversation?.length, 4);
      }
      const second = path.join(workspace, `${format}.second.jsonl`);
      const again = await runCli('export', first, '--format', format, '-o', second);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(
        lines(second).map((row) => JSON.parse(row) as unknown),
        rows.map((row) => JSON.parse(row) as unknown),
      );
    });
  }
});

describe('pairs about each reply of a conversation read back', () => {
  let workspace: string;
  const context = { at: '2025-01-01T00:00:00.000Z', reflectionPhrase: DEFAULT_REFLECTION_PHRASE };
  before(() => {
    workspace = makeWorkspace('cot-studio-round-trip-pairs-');
    // A pair about each reply of every conversation of LLaMA-Factory's demo.
    const annotated = lines(path.join(fixturesDir, 'real', 'llamafactory-mllm-demo.jsonl')).map((line) =>
      [0, 1].reduce(
        (text, turn) =>
          applyOperation(text, { kind: 'markPreference', line: 1, turn, chosen: { text: `A better reply ${turn}.` }, rejected: 'current' }, context).text,
        line,
      ),
    );
    fs.writeFileSync(path.join(workspace, 'pairs.jsonl'), `${annotated.join('\n')}\n`);
    fs.mkdirSync(path.join(workspace, 'mllm_demo_data'));
    for (const name of ['1.jpg', '2.jpg', '3.jpg']) fs.writeFileSync(path.join(workspace, 'mllm_demo_data', name), Buffer.from(PNG_BASE64, 'base64'));
  });
  after(() => fs.rmSync(workspace, { recursive: true, force: true }));

  /** Exports `source` as `format`, reads every row back, exports the rows again and expects the same rows. */
  async function roundTrip(source: string, format: ExportFormat, rows: number): Promise<JsonObject[]> {
    const first = path.join(workspace, `${format}.first.jsonl`);
    const written = await runCli('export', path.join(workspace, source), '--format', format, '-o', first);
    assert.equal(written.code, 0, written.stderr);
    const exported = lines(first).map((row) => JSON.parse(row) as JsonObject);
    assert.equal(exported.length, rows);
    const read = exported.map((row) => parseRecord(row));
    for (const [index, record] of read.entries()) {
      assert.ok(!('error' in record), `${format} row ${index + 1}: ${'error' in record ? record.error : ''}`);
    }
    // A row about a second reply reads as the conversation up to it, that reply last.
    const later = read.filter((record) => !('error' in record) && record.conversation !== undefined);
    assert.equal(later.length, rows / 2, format);
    for (const record of later) {
      assert.ok(!('error' in record));
      assert.deepEqual(
        record.conversation?.map((turn) => turn.role),
        ['user', 'assistant', 'user', 'assistant'],
      );
      assert.equal(record.conversation?.[1].response, record.responses[0]);
    }
    // The checks read such a row as they read the conversation it came from: nothing outside it, nothing wrong.
    for (const row of exported) {
      assert.deepEqual(checkLine(JSON.stringify(row), { imageProblem: () => null }).results, [], `${format}: ${JSON.stringify(row)}`);
    }
    const second = path.join(workspace, `${format}.second.jsonl`);
    const again = await runCli('export', first, '--format', format, '-o', second);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(
      lines(second).map((row) => JSON.parse(row) as unknown),
      exported,
    );
    return exported;
  }

  for (const format of ['trl-dpo', 'openai-dpo'] as const) {
    it(`${format}: each pair's prompt comes back, the second reply's with the exchange before it`, async () => {
      const rows = await roundTrip('pairs.jsonl', format, 12);
      const chosen = (row: JsonObject): unknown => (format === 'trl-dpo' ? row.chosen : row.preferred_output);
      assert.ok(JSON.stringify(chosen(rows[1])).includes('A better reply 1.'));
    });
  }

  it('trl-kto: each labelled side comes back after its prompt', async () => {
    const rows = await roundTrip('pairs.jsonl', 'trl-kto', 24);
    assert.deepEqual(
      rows.slice(0, 4).map((row) => [(row.prompt as unknown[]).length, row.label]),
      [
        [1, true],
        [1, false],
        [3, true],
        [3, false],
      ],
    );
  });

  it('llamafactory-sharegpt: a TRL pair about a second reply becomes a ranking line whose conversations hold the exchange before it', async () => {
    const trl = path.join(workspace, 'trl.jsonl');
    const written = await runCli('export', path.join(workspace, 'pairs.jsonl'), '--format', 'trl-dpo', '-o', trl);
    assert.equal(written.code, 0, written.stderr);
    const rows = await roundTrip('trl.jsonl', 'llamafactory-sharegpt', 12);
    assert.deepEqual(rows[1], {
      conversations: [
        { from: 'human', value: '<image>Who are they?' },
        { from: 'gpt', value: "They're Kane and Gretzka from Bayern Munich." },
        { from: 'human', value: '<image>What are they doing?' },
      ],
      chosen: { from: 'gpt', value: 'A better reply 1.' },
      rejected: { from: 'gpt', value: 'They are celebrating on the soccer field.' },
      images: ['mllm_demo_data/1.jpg', 'mllm_demo_data/1.jpg'],
    });
  });
});
