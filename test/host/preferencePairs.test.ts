import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PairSummary } from '../../src/commands/buildPreferencePairs';
import type { ExportResult } from '../../src/export';
import type { CotStudioApi } from '../../src/extension';
import { activate, openFixtureCopy, until } from './session';

interface StoredPair {
  level: string;
  chosen: string;
  rejected: string;
  origin: string;
  provenance?: { source: string; model?: string; method?: string; seed?: number };
}

const pairsOf = (line: string): StoredPair[] => (JSON.parse(line) as { cot_studio?: { preferencePairs: StoredPair[] } }).cot_studio?.preferencePairs ?? [];
const responseOf = (line: string): string => (JSON.parse(line) as { conversations: Array<{ value: string }> }).conversations[1]?.value ?? '';
const words = (text: string): string[] => text.split(/\s+/).filter((word) => word !== '');
const firstHalf = (text: string): string[] => words(text).slice(0, Math.floor(words(text).length / 2));

describe('building preference pairs in the extension host', function () {
  this.timeout(180_000);
  let scratch: string;
  let uri: string;
  let cot: CotStudioApi;

  before(async () => {
    cot = await activate();
    ({ scratch, uri } = await openFixtureCopy(cot, 'cot-studio-pairs-'));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('adds pairs continued without the image as undoable edits, and cotStudio.export writes them as mmpr', async () => {
    const before = [1, 2, 3, 4].map((line) => cot.readLine(uri, line));
    const summary = await vscode.commands.executeCommand<PairSummary>('cotStudio.buildPreferencePairs', {
      uri,
      lines: [1, 2, 3],
      withoutImage: true,
      maxTokens: 48,
      seed: 3,
    });
    assert.equal(summary.records, 3);
    assert.ok(summary.pairs >= 1, JSON.stringify(summary));
    assert.equal(summary.withoutImagePairs, summary.pairs);
    assert.equal(summary.cancelled, false);
    assert.equal(cot.openDatasets().find((d) => d.uri === uri)?.dirty, true);

    const stored = [1, 2, 3].flatMap((line) => pairsOf(cot.readLine(uri, line)).map((pair) => ({ line, pair })));
    assert.equal(stored.length, summary.pairs);
    for (const { line, pair } of stored) {
      assert.equal(pair.origin, 'mpo-without-image');
      assert.equal(pair.level, 'response');
      assert.equal(pair.provenance?.model, 'tiny-bigram');
      assert.equal(pair.provenance?.method, 'mpo-without-image');
      assert.equal(typeof pair.provenance?.seed, 'number');
      assert.equal(pair.chosen, responseOf(before[line - 1] as string));
      assert.deepEqual(words(pair.rejected).slice(0, firstHalf(pair.chosen).length), firstHalf(pair.chosen));
    }
    assert.equal(cot.readLine(uri, 4), before[3], 'a record not asked for is left alone');

    const output = path.join(scratch, 'out', 'pairs.mmpr.jsonl');
    fs.mkdirSync(path.dirname(output));
    const result = await vscode.commands.executeCommand<ExportResult>('cotStudio.export', { uri, format: 'mmpr', output });
    assert.equal(result.written, summary.pairs);
    const exported = fs
      .readFileSync(output, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { image: string; question: string; chosen: string; rejected: string });
    assert.deepEqual(
      exported.map((line) => [line.image, line.chosen, line.rejected]),
      stored.map(({ pair }) => ['images/bar_chart.png', pair.chosen, pair.rejected]),
    );
    assert.ok(exported.every((line) => line.question.includes('bicycles')));
    const meta = JSON.parse(fs.readFileSync(path.join(scratch, 'out', 'meta.json'), 'utf8')) as Record<string, { annotation: string; length: number }>;
    assert.deepEqual([meta['pairs.mmpr']?.annotation, meta['pairs.mmpr']?.length], [output, summary.pairs]);

    for (let i = 0; i < summary.recordsWithPairs; i++) await vscode.commands.executeCommand('undo');
    await until('undo to take the pairs off every record', () => [1, 2, 3].every((line) => cot.readLine(uri, line) === before[line - 1]));
  });

  it('refuses bad arguments, naming the field or the line', async () => {
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('cotStudio.buildPreferencePairs', { uri, samples: 99 })), /samples/);
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('cotStudio.buildPreferencePairs', { uri, lines: [40] })), /no record on line 40/);
  });
});
