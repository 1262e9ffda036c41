import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { seededRandom } from '../../src/random';
import { Dataset, type LineChange } from '../../src/dataset';
import { operationSchema } from '../../src/dataset/operationSchema';
import { applyOperation, readRecordState, reflectionText } from '../../src/dataset/operations';
import type { Operation } from '../../src/protocol';
import { datasetsDir } from '../harness/fixtures';
import { collectChunks } from '../../src/files/byteSource';
import { setValue } from '../../src/dataset/recordEdit';
import { mergeDatasets } from '../../src/merge/mergeDatasets';
import { annotate, mulberryLines, rate } from '../harness/annotating';

const context = { at: '2026-11-24T00:00:00.000Z', reflectionPhrase: 'I think I have made a mistake. Let me rethink it.' };

/** Seeded, so a failing sequence can be replayed. */
const random = seededRandom;

function lineOf(name: string, line: number): string {
  return fs
    .readFileSync(path.join(datasetsDir, name), 'utf8')
    .replace(/^\uFEFF/, '')
    .split('\n')
    [line - 1].replace(/\r$/, '');
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
    { kind: 'addAlternatives', line, segment, alternatives: [{ text: `alternative ${Math.floor(next() * 1000)} \u00e9 "q"` }] },
    {
      kind: 'setPrelabels',
      line,
      steps: [{ segment, label: pick([1, 0, -1]), confidence: next() }],
      provenance: { backend: 'scripted', method: 'step-judge' },
    },
  ];
  if (annotations.segments[String(segment)]?.prelabel) choices.push({ kind: 'confirmPrelabels', line, segments: [segment] });
  // Accepting is drawn often once there is something to accept, so the sequences exercise it.
  if (alternatives > 0)
    choices.push(...Array.from({ length: 3 }, (): Operation => ({ kind: 'acceptAlternative', line, segment, alternative: Math.floor(next() * alternatives) })));
  if (parsed.responses.length === 2) choices.push({ kind: 'swapSides', line });
  // A merged record's conflicts: either version of one, drawn as often as the others together.
  const conflicts = annotations.conflicts ?? [];
  if (conflicts.length > 0) {
    const conflict = Math.floor(next() * conflicts.length);
    const take = pick(['ours', 'theirs'] as const);
    choices.push(...choices.map((): Operation => ({ kind: 'resolveConflict', line, conflict, path: conflicts[conflict]?.path ?? '', take })));
  }
  return pick(choices);
}

describe('operations', () => {
  it('random edit sequences on every fixture, undone in reverse, give back the original bytes, and redo gives back the edits', async () => {
    for (const name of fs.readdirSync(datasetsDir).filter((file) => file.endsWith('.jsonl'))) {
      const original = fs.readFileSync(path.join(datasetsDir, name));
      const dataset = Dataset.fromBytes(name, original);
      const next = random(name.length * 7919);
      const history: LineChange[] = [];
      const ran = new Set<Operation['kind']>();
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
        ran.add(operation.kind);
      }
      assert.ok(history.length > 0 || name === 'r1vl.jsonl' || name === 'reason_rft_rl.jsonl', `${name}: no operation ran`);
      if (name === 'llava_cot.jsonl') assert.ok(ran.has('acceptAlternative') && ran.has('addAlternatives'), `${name}: ran only ${[...ran].join(', ')}`);
      if (name === 'mmpr.jsonl') assert.ok(ran.has('swapSides'), `${name}: ran only ${[...ran].join(', ')}`);
      const edited = await collectChunks(dataset.chunks());
      for (const change of [...history].reverse()) dataset.apply([change], 'backward');
      assert.ok((await collectChunks(dataset.chunks())).equals(original), `${name}: undoing ${history.length} operations did not restore the bytes`);
      for (const change of history) dataset.apply([change], 'forward');
      assert.ok((await collectChunks(dataset.chunks())).equals(edited), `${name}: redoing ${history.length} operations did not give back the edited bytes`);
    }
  });

  it('first error rates earlier segments +1 and this and later ones -1', () => {
    const { text } = applyOperation(lineOf('mulberry.jsonl', 1), { kind: 'markFirstError', line: 1, segment: 4 }, context);
    const { parsed, annotations } = readRecordState(text);
    const ratings = parsed.responses[0].segments.map((_, index) => annotations.segments[String(index)]?.rating);
    assert.deepEqual(
      ratings,
      ratings.map((_, index) => (index < 4 ? 1 : -1)),
    );
    assert.equal(annotations.history.at(-1)?.operation, 'first-error');
  });

  it('first error can say its kind, with a note and, for a perception error, a box on the image; a later mark moves it', () => {
    const box = { x: 12, y: 40, width: 30.5, height: 18 };
    const marked = applyOperation(
      lineOf('mulberry.jsonl', 1),
      operationSchema.parse({ kind: 'markFirstError', line: 1, segment: 4, errorType: 'perception', note: 'reads 6 as 8', box }),
      context,
    ).text;
    assert.deepEqual(readRecordState(marked).annotations.segments['4']?.firstError, { type: 'perception', note: 'reads 6 as 8', box });
    const moved = applyOperation(marked, { kind: 'markFirstError', line: 1, segment: 5, errorType: 'reasoning' }, context).text;
    const { annotations } = readRecordState(moved);
    assert.equal(annotations.segments['4']?.firstError, undefined);
    assert.deepEqual(annotations.segments['5']?.firstError, { type: 'reasoning' });
    assert.equal(annotations.segments['4']?.rating, 1);
    const plain = applyOperation(moved, { kind: 'markFirstError', line: 1, segment: 3 }, context).text;
    assert.ok(
      Object.values(readRecordState(plain).annotations.segments).every((segment) => segment.firstError === undefined),
      'an untyped mark clears the kind',
    );
    assert.throws(() => operationSchema.parse({ kind: 'markFirstError', line: 1, segment: 4, errorType: 'reasoning', box }), /a box marks a perception error/);
    assert.throws(() => operationSchema.parse({ kind: 'markFirstError', line: 1, segment: 4, note: 'why' }), /a note or box needs an errorType/);
  });

  it('pre-labels are suggestions beside the ratings: they never overwrite a rating, and confirming one makes it a rating with provenance', () => {
    const rated = applyOperation(lineOf('mulberry.jsonl', 1), { kind: 'rateSegment', line: 1, segment: 1, rating: -1 }, context).text;
    const provenance = { backend: 'openai:http://judge/v1 prm', method: 'step-judge' };
    const steps = [0, 1, 2, 3].map((segment) => ({ segment, label: segment === 2 ? (-1 as const) : (1 as const), confidence: 0.9 }));
    const suggested = applyOperation(rated, { kind: 'setPrelabels', line: 1, steps, provenance }, { ...context, at: '2026-12-06T01:00:00.000Z' }).text;
    let { annotations } = readRecordState(suggested);
    assert.equal(annotations.segments['1']?.rating, -1, 'the rating a person gave stays');
    assert.equal(annotations.segments['0']?.rating, null, 'a suggestion is not a rating');
    assert.deepEqual(annotations.segments['0']?.prelabel, {
      label: 1,
      confidence: 0.9,
      provenance: { source: 'model', ...provenance, createdAt: '2026-12-06T01:00:00.000Z' },
    });
    // Confirming all takes the suggestions of the steps nobody rated, and leaves the rated step as it was.
    const all = applyOperation(suggested, { kind: 'confirmPrelabels', line: 1 }, context);
    assert.equal(all.label, 'Confirm 3 suggested labels');
    ({ annotations } = readRecordState(all.text));
    assert.deepEqual(
      [0, 1, 2, 3].map((index) => annotations.segments[String(index)]?.rating),
      [1, -1, -1, 1],
    );
    assert.equal(annotations.segments['1']?.prelabel?.decision, undefined);
    assert.equal(annotations.segments['0']?.prelabel?.decision, 'confirmed');
    assert.deepEqual(annotations.segments['0']?.ratingProvenance, {
      source: 'human',
      method: 'confirmed-prelabel',
      backend: provenance.backend,
      createdAt: context.at,
    });
    // Rating a suggested step otherwise overrides the suggestion; clearing the rating takes the decision back.
    const overridden = applyOperation(all.text, { kind: 'rateSegment', line: 1, segment: 2, rating: 1 }, context).text;
    ({ annotations } = readRecordState(overridden));
    assert.equal(annotations.segments['2']?.prelabel?.decision, 'overridden');
    assert.equal(annotations.segments['2']?.ratingProvenance?.method, 'overrode-prelabel');
    const cleared = applyOperation(overridden, { kind: 'rateSegment', line: 1, segment: 2, rating: null }, context).text;
    ({ annotations } = readRecordState(cleared));
    assert.equal(annotations.segments['2']?.prelabel?.decision, undefined);
    assert.equal(annotations.segments['2']?.ratingProvenance, undefined);
    // Naming a step without a suggestion is an error naming it; naming a rated step takes its suggestion.
    assert.throws(() => applyOperation(rated, { kind: 'confirmPrelabels', line: 1, segments: [0] }, context), /no suggested label to confirm on segment 0/);
    const named = applyOperation(suggested, { kind: 'confirmPrelabels', line: 1, segments: [1] }, context).text;
    assert.equal(readRecordState(named).annotations.segments['1']?.rating, 1);
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

  it('names the annotator on every rating, review, edit, pair and reflection, and on nothing a model made', () => {
    const as = (annotator: string) => ({ ...context, annotator });
    let text = lineOf('mulberry.jsonl', 2);
    const apply = (operation: Operation, annotator: string) => {
      text = applyOperation(text, operation, as(annotator)).text;
    };
    apply({ kind: 'rateSegment', line: 2, segment: 1, rating: 1 }, 'ana');
    apply({ kind: 'rateSegment', line: 2, segment: 2, rating: -1 }, 'bo');
    apply({ kind: 'setReviewStatus', line: 2, status: 'needs_fix' }, 'bo');
    apply({ kind: 'editSegment', line: 2, segment: 3, text: 'An edited step.' }, 'cy');
    apply({ kind: 'markPreference', line: 2, segment: 1, chosen: { text: 'better' }, rejected: 'current' }, 'ana');
    apply({ kind: 'insertReflection', line: 2, segment: 2, correction: 'The right step.' }, 'bo');
    apply({ kind: 'addAlternatives', line: 2, segment: 1, alternatives: [{ text: 'typed by hand' }] }, 'cy');
    apply({ kind: 'addAlternatives', line: 2, segment: 1, alternatives: [{ text: 'a model wrote this', provenance: { source: 'model', model: 'm' } }] }, 'cy');
    apply(
      {
        kind: 'addPreferencePairs',
        line: 2,
        pairs: [{ level: 'response', chosen: 'a', rejected: 'b', origin: 'mpo-correctness', provenance: { source: 'model', createdAt: context.at } }],
      },
      'ana',
    );
    apply({ kind: 'rateSegment', line: 2, segment: 1, rating: null }, 'bo');
    const { annotations } = readRecordState(text);
    assert.equal(annotations.segments['1']?.ratedBy, undefined, 'a cleared rating names nobody');
    assert.equal(annotations.segments['2']?.ratedBy, 'bo', 'the reflection rated its step, by whoever inserted it');
    assert.equal(annotations.review.by, 'bo');
    assert.deepEqual(
      annotations.preferencePairs.map((pair) => [pair.origin, pair.by]),
      [
        ['manual', 'ana'],
        ['reflection', 'bo'],
        ['mpo-correctness', undefined],
      ],
    );
    assert.deepEqual(
      annotations.reflections.map((reflection) => reflection.by),
      ['bo'],
    );
    assert.deepEqual(
      annotations.segments['1']?.alternatives.map((alternative) => [alternative.text, alternative.provenance.by]),
      [
        ['typed by hand', 'cy'],
        ['a model wrote this', undefined],
      ],
    );
    assert.deepEqual(
      annotations.history.map((entry) => `${entry.operation}:${entry.by}`),
      [
        'rate:ana',
        'rate:bo',
        'review:needs_fix:bo',
        'edit:cy',
        'preference:ana',
        'reflection:bo',
        'add-alternatives:cy',
        'add-alternatives:cy',
        'preference-pairs:ana',
        'rate:bo',
      ],
    );
    const unnamed = readRecordState(applyOperation(lineOf('mulberry.jsonl', 2), { kind: 'rateSegment', line: 2, segment: 1, rating: 1 }, context).text);
    assert.equal(unnamed.annotations.segments['1']?.ratedBy, undefined, 'no annotator known: none written');
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
    assert.throws(
      () => applyOperation(lineOf('llava_cot.jsonl', 1), { kind: 'acceptAlternative', line: 1, segment: 0, alternative: 0 }, context),
      /has no alternative 0/,
    );
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

  it('moves each side as it is spelled, escapes included', () => {
    const lineText = '{"prompt": "Q", "chosen": "caf\\u00e9 \\/ 1", "rejected" : "na\\u00efve\\n2", "n": 1.50}';
    const { text } = applyOperation(lineText, { kind: 'swapSides', line: 1 }, context);
    assert.equal(withoutAnnotations(text), '{"prompt": "Q", "chosen": "na\\u00efve\\n2", "rejected" : "caf\\u00e9 \\/ 1", "n": 1.50}');
  });
});

/**
 * A LLaVA-CoT record whose response string spells characters as escapes (`\u00b2`, `\/`, `\u00e9`, an emoji as a
 * surrogate pair) and as themselves (é, 😀), before and after the CAPTION stage.
 */
const ESCAPED_RESPONSE = [
  '<SUMMARY> Area in cm\\u00b2 at 3 km\\/h, caf\\u00e9 é \\ud83d\\ude00 😀 \\"q\\". </SUMMARY>\\n\\n',
  '<CAPTION> A triangle. </CAPTION>\\n\\n',
  '<REASONING> Half of 6 \\u00d7 8 is 24 cm\\u00b2 \\/ \\ud83d\\ude00. </REASONING>\\n\\n',
  '<CONCLUSION> 24 \\u00e9 </CONCLUSION>',
].join('');
const ESCAPED_LINE = `{"id": "esc-1", "weight": 1.50, "conversations": [{"from": "human", "value": "<image>\\nArea?"}, {"from": "gpt", "value": "${ESCAPED_RESPONSE}"}], "image": "a.png"}`;

/** The line without the annotation block an operation appended to it. */
function withoutAnnotations(text: string): string {
  const at = text.indexOf(',"cot_studio"');
  return at < 0 ? text : `${text.slice(0, at)}}`;
}

/** [start, end) of the part of `before` that differs from `after`: what lies outside it is byte for byte the same. */
function changedRange(before: string, after: string): [number, number] {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let end = 0;
  while (end < before.length - start && end < after.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++;
  return [start, before.length - end];
}

/** [start, end) in the raw line of a stage's text (inside its tags). */
function rawStage(line: string, stage: string): [number, number] {
  return [line.indexOf(`<${stage}>`) + stage.length + 2, line.indexOf(`</${stage}>`)];
}

function assertChangedWithin(before: string, after: string, [start, end]: [number, number]): void {
  const [from, to] = changedRange(before, withoutAnnotations(after));
  assert.ok(from >= start && to <= end, `changed [${from}, ${to}) of the line, outside the edited stage [${start}, ${end})`);
}

describe('segment edits in a string that holds escapes', () => {
  it('rewrite only the raw characters of the edited stage and keep every escape elsewhere', () => {
    const edited = ' Two sides: 6 × 8 "cm" \\ \n 😀 ';
    const { text } = applyOperation(ESCAPED_LINE, { kind: 'editSegment', line: 1, segment: 1, text: edited }, context);
    const [start, end] = rawStage(ESCAPED_LINE, 'CAPTION');
    assert.equal(withoutAnnotations(text), ESCAPED_LINE.slice(0, start) + JSON.stringify(edited).slice(1, -1) + ESCAPED_LINE.slice(end));
    const { parsed } = readRecordState(text);
    assert.equal(parsed.responses[0].segments[1].text, edited);
    assert.equal(parsed.responses[0].segments[0].text, ' Area in cm² at 3 km/h, café é 😀 😀 "q". ');
  });

  it('rewrite a stage that itself spells escapes, keeping the escapes of the stages around it', () => {
    for (const [segment, stage] of [
      [0, 'SUMMARY'],
      [2, 'REASONING'],
      [3, 'CONCLUSION'],
    ] as const) {
      const { text } = applyOperation(ESCAPED_LINE, { kind: 'editSegment', line: 1, segment, text: ' x² ' }, context);
      assertChangedWithin(ESCAPED_LINE, text, rawStage(ESCAPED_LINE, stage));
      assert.equal(readRecordState(text).parsed.responses[0].segments[segment].text, ' x² ');
    }
  });

  it('reflections and accepted alternatives splice the same way', () => {
    const caption = rawStage(ESCAPED_LINE, 'CAPTION');
    const reflected = applyOperation(ESCAPED_LINE, { kind: 'insertReflection', line: 1, segment: 1, correction: 'A right triangle \\u00b2.' }, context).text;
    assertChangedWithin(ESCAPED_LINE, reflected, caption);

    const withAlternative = applyOperation(
      ESCAPED_LINE,
      { kind: 'addAlternatives', line: 1, segment: 1, alternatives: [{ text: ' A right triangle. ' }] },
      context,
    ).text;
    const accepted = applyOperation(withAlternative, { kind: 'acceptAlternative', line: 1, segment: 1, alternative: 0 }, context).text;
    assertChangedWithin(withoutAnnotations(withAlternative), accepted, caption);
    assert.equal(readRecordState(accepted).parsed.responses[0].segments[1].text, ' A right triangle. ');
  });

  it('a reflection proposal replaces the string from its segment on and keeps what comes before', () => {
    const proposal = ' A triangle. </CAPTION>\n\n<REASONING> Half of 48 is 24. </REASONING>\n\n<CONCLUSION> 24 </CONCLUSION>';
    const { text } = applyOperation(
      ESCAPED_LINE,
      { kind: 'acceptReflectionProposal', line: 1, segment: 1, text: proposal, wrong: 'A triangle.', correction: 'Half of 48 is 24.' },
      context,
    );
    const start = rawStage(ESCAPED_LINE, 'CAPTION')[0];
    const end = ESCAPED_LINE.indexOf('"}], "image"');
    assert.equal(withoutAnnotations(text), ESCAPED_LINE.slice(0, start) + JSON.stringify(proposal).slice(1, -1) + ESCAPED_LINE.slice(end));
  });

  it('undoing the edit gives back the original bytes', async () => {
    const dataset = Dataset.fromBytes('escapes.jsonl', Buffer.from(`${ESCAPED_LINE}\n`));
    const { text } = applyOperation(ESCAPED_LINE, { kind: 'editSegment', line: 1, segment: 2, text: ' New reasoning. ' }, context);
    const change = { line: 0, before: ESCAPED_LINE, after: text };
    dataset.apply([change], 'forward');
    assert.notEqual(dataset.lineText(0), ESCAPED_LINE);
    dataset.apply([change], 'backward');
    assert.ok((await collectChunks(dataset.chunks())).equals(Buffer.from(`${ESCAPED_LINE}\n`)));
  });
});

describe('annotation blocks written by others', () => {
  const line = (block: string) => `{"prompt": "Q", "chosen": "good", "rejected": "bad", "cot_studio": ${block}}`;
  const annotated = line('{"version": 1, "team_tag": "x", "segments": {"0": {"rating": 1, "reviewer": "ann", "alternatives": []}}, "history": []}');

  it('keep keys CoT Studio does not know, at the top and in segments, through rating and review', () => {
    const rated = applyOperation(annotated, { kind: 'rateSegment', line: 1, segment: 0, rating: -1 }, context).text;
    const reviewed = applyOperation(rated, { kind: 'setReviewStatus', line: 1, status: 'accepted' }, context).text;
    const block = (
      JSON.parse(reviewed) as { cot_studio: { team_tag: string; segments: Record<string, { reviewer?: string; rating: number }>; review: { status: string } } }
    ).cot_studio;
    assert.equal(block.team_tag, 'x');
    assert.equal(block.segments['0'].reviewer, 'ann');
    assert.equal(block.segments['0'].rating, -1);
    assert.equal(block.review.status, 'accepted');
    assert.equal(readRecordState(reviewed).annotations.team_tag, 'x');
  });

  it('change only the parts of the block that changed, leaving its other keys as they were spelled', () => {
    const { text } = applyOperation(annotated, { kind: 'rateSegment', line: 1, segment: 0, side: 'rejected', rating: 0 }, context);
    const kept = '{"version": 1, "team_tag": "x", "segments": {"0": {"rating": 1, "reviewer": "ann", "alternatives": []}';
    assert.ok(text.startsWith(line(kept).slice(0, -1)), text);
    assert.match(text, /"history": \[\{"at":"2026-11-24T00:00:00\.000Z","operation":"rate","segment":0\}\]/);
  });

  it('refuse a block of a newer version, saying so', () => {
    assert.throws(
      () => applyOperation(line('{"version": 9}'), { kind: 'setReviewStatus', line: 1, status: 'accepted' }, context),
      /cot_studio\.version: 9 is newer than this CoT Studio understands \(1\)/,
    );
  });
});

describe('adjudicating the conflicts a merge kept', () => {
  const [base] = mulberryLines(1) as [string];
  /** Ours rates step 1 +1 and accepts; theirs rates it -1, rejects, and edits step 2. */
  const ours = annotate(base, rate(1, 1), { kind: 'setReviewStatus', line: 1, status: 'accepted' });
  const theirs = annotate(base, rate(1, -1), { kind: 'setReviewStatus', line: 1, status: 'rejected', note: 'step 2 is off' });
  const merged = (a: string, b: string) => mergeDatasets(`${base}\n`, `${a}\n`, `${b}\n`).text.trimEnd();
  const resolve = (conflict: number, path: string, take: 'ours' | 'theirs'): Operation => ({ kind: 'resolveConflict', line: 1, conflict, path, take });

  it('takes a side: the value where the conflict was, the conflict moved to the adjudications, a history entry', () => {
    const line = merged(ours, theirs);
    const paths = readRecordState(line).annotations.conflicts?.map((conflict) => conflict.path);
    assert.deepEqual(paths, ['segments.1.rating', 'review']);
    const rating = applyOperation(line, resolve(0, 'segments.1.rating', 'theirs'), { ...context, annotator: 'carol' });
    assert.equal(rating.label, 'Take theirs for Rationales rating');
    let { annotations } = readRecordState(rating.text);
    assert.equal(annotations.segments['1']?.rating, -1);
    assert.deepEqual(
      annotations.conflicts?.map((conflict) => conflict.path),
      ['review'],
    );
    assert.deepEqual(annotations.adjudications, [{ path: 'segments.1.rating', ours: 1, theirs: -1, taken: 'theirs', by: 'carol', at: context.at }]);
    assert.deepEqual(annotations.history.at(-1), { at: context.at, operation: 'adjudicate', segment: 1, by: 'carol' });
    const review = applyOperation(rating.text, resolve(0, 'review', 'theirs'), context).text;
    ({ annotations } = readRecordState(review));
    assert.deepEqual(annotations.review, { status: 'rejected', note: 'step 2 is off' });
    assert.equal(annotations.conflicts, undefined);
    assert.ok(!review.includes('"conflicts"'), 'no conflicts left: no key');
    assert.deepEqual(
      annotations.adjudications?.map(({ path, taken, by }) => [path, taken, by]),
      [
        ['segments.1.rating', 'theirs', 'carol'],
        ['review', 'theirs', undefined],
      ],
    );
    // Only the block changed: the record's own text keeps its bytes.
    assert.equal(review.slice(0, review.indexOf('"cot_studio"')), line.slice(0, line.indexOf('"cot_studio"')));
  });

  it("takes ours as the record has it, and a rating's annotator with it", () => {
    const line = merged(ours, theirs);
    const named = setValue(line, ['cot_studio', 'conflicts', 0], { path: 'segments.1.rating', ours: 1, theirs: -1, oursBy: 'alice', theirsBy: 'bob' });
    let { annotations } = readRecordState(applyOperation(named, resolve(0, 'segments.1.rating', 'ours'), context).text);
    assert.equal(annotations.segments['1']?.rating, 1);
    assert.equal(annotations.segments['1']?.ratedBy, 'alice');
    ({ annotations } = readRecordState(applyOperation(named, resolve(0, 'segments.1.rating', 'theirs'), context).text));
    assert.equal(annotations.segments['1']?.ratedBy, 'bob');
  });

  it("takes their text of a step both edited, or their version of the record's own text, and keeps the annotations", () => {
    const withId = setValue(base, ['id'], 'r1');
    const merged = (a: string, b: string) => mergeDatasets(`${withId}\n`, `${a}\n`, `${b}\n`).text.trimEnd();
    const { parsed } = readRecordState(base);
    const step = parsed.responses[0]?.segments[2];
    assert.ok(step);
    const edit = (text: string): Operation => ({ kind: 'editSegment', line: 1, segment: 2, text });
    const line = merged(annotate(withId, edit(`${step.text} (ours)`)), annotate(withId, edit(`${step.text} (theirs)`), rate(0, 1)));
    assert.equal(readRecordState(line).annotations.conflicts?.[0]?.path, 'segments.2.text');
    const taken = applyOperation(line, resolve(0, 'segments.2.text', 'theirs'), context).text;
    const after = readRecordState(taken);
    assert.equal(after.parsed.responses[0]?.segments[2]?.text, `${step.text} (theirs)`);
    assert.equal(after.annotations.segments['0']?.rating, 1, 'the annotations stay');
    assert.equal(after.annotations.conflicts, undefined);
    assert.equal(after.annotations.adjudications?.[0]?.taken, 'theirs');
    const kept = readRecordState(applyOperation(line, resolve(0, 'segments.2.text', 'ours'), context).text);
    assert.equal(kept.parsed.responses[0]?.segments[2]?.text, `${step.text} (ours)`);

    // Both changed the question too: the record's text is one conflict, taken whole.
    const asked = (question: string, text: string) => setValue(text, ['messages', 0, 'content'], question);
    const whole = merged(asked('Find x (ours).', annotate(withId, edit(`${step.text} (ours)`))), asked('Find x (theirs).', annotate(withId, rate(0, 1))));
    assert.equal(readRecordState(whole).annotations.conflicts?.[0]?.path, 'record');
    const theirsWhole = readRecordState(applyOperation(whole, resolve(0, 'record', 'theirs'), context).text);
    assert.equal(theirsWhole.parsed.question, 'Find x (theirs).');
    assert.equal(theirsWhole.parsed.responses[0]?.segments[2]?.text, step.text);
    assert.equal(theirsWhole.annotations.segments['0']?.rating, 1);
  });

  it('refuses a conflict that is not there, or no longer the one the view showed', () => {
    const line = merged(ours, theirs);
    assert.throws(() => applyOperation(line, resolve(2, 'review', 'ours'), context), /there is no conflict 2: the record has 2/);
    assert.throws(() => applyOperation(line, resolve(0, 'review', 'ours'), context), /conflict 0 is at segments\.1\.rating, not review: the record changed/);
    const broken = setValue(line, ['cot_studio', 'conflicts', 0, 'theirs'], 'very good');
    assert.throws(
      () => applyOperation(broken, resolve(0, 'segments.1.rating', 'theirs'), context),
      /theirs of the conflict at segments\.1\.rating is not a rating/,
    );
  });

  it('random edit sequences with adjudications among them undo to the original bytes', () => {
    const lines = mulberryLines(4).map((line) =>
      merged(annotate(line, rate(0, 1), rate(1, 0), { kind: 'setReviewStatus', line: 1, status: 'accepted' }), annotate(line, rate(0, -1), rate(1, 1))),
    );
    const original = Buffer.from(`${lines.join('\n')}\n`);
    const dataset = Dataset.fromBytes('merged.jsonl', original);
    const next = random(31);
    const history: LineChange[] = [];
    for (let step = 0; step < 60; step++) {
      const line = dataset.recordLine(Math.floor(next() * dataset.recordCount));
      const before = dataset.lineText(line);
      const operation = randomOperation(next, before, line + 1);
      if (!operation) continue;
      const change = { line, before, after: applyOperation(before, operation, context).text };
      dataset.apply([change], 'forward');
      history.push(change);
    }
    assert.ok(
      history.some((change) => change.after.includes('"adjudications"')),
      'some conflict was adjudicated',
    );
    for (const change of [...history].reverse()) dataset.apply([change], 'backward');
    return collectChunks(dataset.chunks()).then((bytes) => assert.ok(bytes.equals(original)));
  });
});
