// Every format CoT Studio writes is also read: an export opened again holds the same records, and exporting
// it again in the same format gives the same rows.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseRecord } from '../../src/dataset/formats';
import type { JsonObject } from '../../src/dataset/record';
import { exportFormatSchema, type ExportFormat } from '../../src/export';
import { runCli } from '../harness/cli';
import { datasetsDir, fixturesDir, makeWorkspace } from '../harness/fixtures';
import { PNG_BASE64 } from '../harness/imageFolders';

const lines = (file: string): string[] => fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');

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
};

describe('every export format read back', () => {
  let workspace: string;
  before(() => {
    workspace = makeWorkspace('cot-studio-round-trip-');
    fs.writeFileSync(path.join(workspace, 'reviewed.jsonl'), reviewedLlava());
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
      assert.deepEqual(lines(second).map((row) => JSON.parse(row) as unknown), rows.map((row) => JSON.parse(row) as unknown));
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
      assert.deepEqual(lines(second).map((row) => JSON.parse(row) as unknown), rows.map((row) => JSON.parse(row) as unknown));
    });
  }
});
