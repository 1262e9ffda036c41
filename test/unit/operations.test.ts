import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { seededRandom } from '../../src/random';
import { Dataset, type LineChange } from '../../src/dataset';
import { applyOperation, readRecordState, reflectionText } from '../../src/dataset/operations';
import type { Operation } from '../../src/protocol';
import { datasetsDir } from '../harness/fixtures';

const context = { at: '2026-11-24T00:00:00.000Z', reflectionPhrase: 'I think I have made a mistake. Let me rethink it.' };

/** Seeded, so a failing sequence can be replayed. */
const random = seededRandom;

function lineOf(name: string, line: number): string {
  return fs.readFileSync(path.join(datasetsDir, name), 'utf8').replace(/^\uFEFF/, '').split('\n')[line - 1].replace(/\r$/, '');
}

/** A random operation that fits the record, or undefined when the record has no response. */
function randomOperation(next: () => number, lineText: string, line: number): Operation | undefined {
  const { parsed, annotations } = readRecordState(lineText);
  const response = parsed.responses[0];
  if (!response || response.segments.length === 0) return undefined;
  const segment = Math.floor(next() * response.segments.length);
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)];
  const alternatives = annotations.segments[String(segment)]?.alternatives.length ?? 0;
  const choices: Operation[] = [
    { kind: 'editSegment', line, segment, text: `${response.segments[segment].text} edited ${Math.floor(next() * 1000)} "quote" \\ \n é 😀` },
    { kind: 'rateSegment', line, segment, rating: pick([1, 0, -1, null]) },
    { kind: 'markFirstError', line, segment },
    { kind: 'setReviewStatus', line, status: pick(['accepted', 'rejected', 'needs_fix', 'unreviewed']), note: next() < 0.5 ? undefined : 'note ✓' },
    { kind: 'insertReflection', line, segment, correction: 'Corrected step.' },
    { kind: 'markPreference', line, segment, chosen: { text: 'better' }, rejected: 'current' },
  ];
  if (alternatives > 0) choices.push({ kind: 'acceptAlternative', line, segment, alternative: 0 });
  return pick(choices);
}

describe('operations', () => {
  it('random edit sequences on every fixture, undone in reverse, give back the original bytes', () => {
    for (const name of fs.readdirSync(datasetsDir).filter((file) => file.endsWith('.jsonl'))) {
      const original = fs.readFileSync(path.join(datasetsDir, name));
      const dataset = Dataset.fromBytes(name, original);
      const next = random(name.length * 7919);
      const history: LineChange[] = [];
      for (let step = 0; step < 150; step++) {
        const line = dataset.recordLine(Math.floor(next() * dataset.recordCount));
        const before = dataset.lineText(line);
        let operation: Operation | undefined;
        try {
          operation = randomOperation(next, before, line + 1);
        } catch {
          continue; // an unreadable record: operations refuse it, tested below
        }
        if (!operation) continue;
        const { text } = applyOperation(before, operation, context);
        JSON.parse(text);
        const change = { line, before, after: text };
        dataset.apply([change], 'forward');
        history.push(change);
      }
      assert.ok(history.length > 0 || name === 'r1vl.jsonl' || name === 'reason_rft_rl.jsonl', `${name}: no operation ran`);
      for (const change of [...history].reverse()) dataset.apply([change], 'backward');
      assert.ok(Buffer.concat([...dataset.chunks()]).equals(original), `${name}: undoing ${history.length} operations did not restore the bytes`);
    }
  });

  it('first error rates earlier segments +1 and this and later ones -1', () => {
    const { text } = applyOperation(lineOf('mulberry.jsonl', 1), { kind: 'markFirstError', line: 1, segment: 4 }, context);
    const { parsed, annotations } = readRecordState(text);
    const ratings = parsed.responses[0].segments.map((_, index) => annotations.segments[String(index)]?.rating);
    assert.deepEqual(ratings, ratings.map((_, index) => (index < 4 ? 1 : -1)));
    assert.equal(annotations.history.at(-1)?.operation, 'first-error');
  });

  it('an edit replaces only the segment text and flags the later segments stale', () => {
    const lineText = lineOf('llava_cot.jsonl', 2);
    const { text } = applyOperation(lineText, { kind: 'editSegment', line: 2, segment: 1, text: ' A new caption. ' }, context);
    const { parsed, annotations } = readRecordState(text);
    assert.equal(parsed.responses[0].segments[1].text, ' A new caption. ');
    assert.equal(annotations.segments['1']?.stale, undefined);
    assert.equal(annotations.segments['2']?.stale, true);
    assert.equal(annotations.segments['3']?.stale, true);
    assert.equal(annotations.segments['0'], undefined);
  });

  it('a reflection in a Mulberry step repeats the step header after the phrase', () => {
    const { parsed } = readRecordState(lineOf('mulberry.jsonl', 2));
    const step = parsed.responses[0].segments.find((segment) => segment.kind === 'step');
    assert.ok(step);
    const text = reflectionText(step, context.reflectionPhrase, 'The area is 24.');
    assert.match(text, new RegExp(`\\n\\n${context.reflectionPhrase.replace(/\./g, '\\.')}\\n\\n### ${step.label}:\\nThe area is 24\\.`));
    assert.ok(text.startsWith(step.text.trimEnd()) || text.trimStart().startsWith(step.text.trim()));
  });

  it('refuses what a record cannot do, naming the reason', () => {
    assert.throws(() => applyOperation(lineOf('r1vl.jsonl', 1), { kind: 'rateSegment', line: 1, segment: 0, rating: 1 }, context), /has no response/);
    assert.throws(() => applyOperation(lineOf('llava_cot.jsonl', 1), { kind: 'acceptAlternative', line: 1, segment: 0, alternative: 0 }, context), /has no alternative 0/);
    assert.throws(
      () => applyOperation(lineOf('llava_cot.jsonl', 1), { kind: 'markPreference', line: 1, segment: 0, chosen: 'current', rejected: 'current' }, context),
      /the same text/,
    );
    assert.throws(() => applyOperation('{"cot_studio": {"version": 2}}', { kind: 'setReviewStatus', line: 1, status: 'accepted' }, context));
  });

  it('keeps the rest of the line as written when it adds annotations', () => {
    const lineText = lineOf('edge_cases.jsonl', 9);
    const { text } = applyOperation(lineText, { kind: 'setReviewStatus', line: 9, status: 'accepted' }, context);
    assert.equal(text.slice(0, lineText.length - 1), lineText.slice(0, -1));
    assert.match(text.slice(lineText.length - 1), /^,"cot_studio": \{"version":1,"review":\{"status":"accepted"\}/);
  });
});

describe('swapping the sides of a pair', () => {
  it('exchanges chosen and rejected, with their segment annotations', () => {
    const lineText = lineOf('mmpr.jsonl', 1);
    const rated = applyOperation(lineText, { kind: 'rateSegment', line: 1, segment: 1, side: 'rejected', rating: -1 }, context).text;
    const { text } = applyOperation(rated, { kind: 'swapSides', line: 1 }, context);
    const before = JSON.parse(lineText) as { chosen: string; rejected: string };
    const after = JSON.parse(text) as { chosen: string; rejected: string; cot_studio: { segments: Record<string, { rating: number }> } };
    assert.equal(after.chosen, before.rejected);
    assert.equal(after.rejected, before.chosen);
    assert.equal(after.cot_studio.segments['1'].rating, -1, 'the rating moved with its text');
    assert.throws(() => applyOperation(lineOf('llava_cot.jsonl', 1), { kind: 'swapSides', line: 1 }, context), /no chosen and rejected sides/);
  });
});
