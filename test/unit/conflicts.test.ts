import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conflictViews } from '../../src/dataset/conflicts';
import { readRecordState } from '../../src/dataset/operations';
import { setValue } from '../../src/dataset/recordEdit';
import { mergeDatasets } from '../../src/merge/mergeDatasets';
import { conflictViewSchema, type Operation } from '../../src/protocol';
import { annotate, annotateAs, mulberryLines, rate } from '../harness/annotating';

const [first] = mulberryLines(1) as [string];
/** Records are matched by id: without one, two edits of its text would make two records. */
const base = setValue(first, ['id'], 'r1');
const merged = (ours: string, theirs: string, before = base) => mergeDatasets(`${before}\n`, `${ours}\n`, `${theirs}\n`).text.trimEnd();
const views = (line: string) => {
  const { parsed, annotations } = readRecordState(line);
  return conflictViews(parsed, annotations).map((view) => conflictViewSchema.parse(view));
};

describe('conflicts as the sample view shows them', () => {
  it("shows a step's ratings and the reviews, each with who gave it, where the step is", () => {
    // Step 1 was rated 0; one annotator rates it +1, the other takes the rating back.
    const rated = annotate(base, rate(1, 0));
    const line = merged(
      annotate(rated, rate(1, 1), { kind: 'setReviewStatus', line: 1, status: 'accepted', note: 'fine' }),
      annotate(rated, { kind: 'setReviewStatus', line: 1, status: 'needs_fix' }, { kind: 'rateSegment', line: 1, segment: 1, rating: null }),
      rated,
    );
    const named = setValue(line, ['cot_studio', 'conflicts', 0, 'theirsBy'], 'bob');
    const [rating, review, ...rest] = views(named);
    const { parsed } = readRecordState(line);
    const step = parsed.responses[0]?.segments[1];
    assert.deepEqual(rest, []);
    assert.deepEqual(rating, {
      index: 0,
      path: 'segments.1.rating',
      subject: 'step',
      field: 'rating',
      step: { segment: 1, side: 'primary', turn: 0, model: null, label: step?.label, text: step?.text },
      parts: [],
      ours: { by: null, value: { kind: 'rating', rating: 1 } },
      theirs: { by: 'bob', value: { kind: 'rating', rating: null } },
    });
    assert.equal(review?.subject, 'review');
    assert.deepEqual(review?.ours.value, { kind: 'review', status: 'accepted', note: 'fine' });
    assert.deepEqual(review?.theirs.value, { kind: 'review', status: 'needs_fix', note: null });
  });

  it('shows a step both edited as its two texts, and a record whose own text differs elsewhere as what differs, side by side', () => {
    const { parsed } = readRecordState(base);
    const [, , third, fourth] = parsed.responses[0]?.segments ?? [];
    assert.ok(third && fourth);
    const edit = (segment: number, text: string): Operation => ({ kind: 'editSegment', line: 1, segment, text });
    const twice = merged(annotateAs('ana', base, edit(2, `${third.text} (ours)`)), annotateAs('bo', base, edit(2, `${third.text} (theirs)`)));
    const [step] = views(twice);
    assert.equal(step?.subject, 'step');
    assert.equal(step?.field, 'text');
    assert.equal(step?.step?.label, third.label);
    assert.deepEqual(step?.ours, { by: 'ana', value: { kind: 'json', text: `${third.text} (ours)` } });
    assert.deepEqual(step?.theirs, { by: 'bo', value: { kind: 'json', text: `${third.text} (theirs)` } });

    // Both changed the question (which no merge cuts into steps): the record is one conflict, shown where it differs.
    const question = (text: string, line: string) => setValue(line, ['messages', 0, 'content'], text);
    const ours = question('<image>Which side is x? (ours)', annotate(base, edit(2, `${third.text} (ours)`), edit(3, `${fourth.text} (ours)`)));
    const theirs = question('<image>Which side is x? (theirs)', annotate(base, edit(2, `${third.text} (theirs)`)));
    const [record] = views(merged(ours, theirs));
    assert.equal(record?.subject, 'record');
    assert.deepEqual(record?.parts, [
      { kind: 'question', label: '', turn: 0, side: 'primary' },
      { kind: 'segment', label: third.label, turn: 0, side: 'primary' },
      { kind: 'segment', label: fourth.label, turn: 0, side: 'primary' },
    ]);
    assert.deepEqual(record?.ours.value, {
      kind: 'record',
      texts: ['<image>Which side is x? (ours)', `${third.text} (ours)`, `${fourth.text} (ours)`],
    });
    assert.deepEqual(record?.theirs.value, { kind: 'record', texts: ['<image>Which side is x? (theirs)', `${third.text} (theirs)`, fourth.text] });
  });

  it('shows a value it cannot read, and a place it does not know, as JSON', () => {
    const line = setValue(base, ['cot_studio'], {
      version: 1,
      conflicts: [
        { path: 'segments.9.monteCarlo', ours: { score: 1 }, theirs: null },
        { path: 'elsewhere', ours: 'a', theirs: 2 },
      ],
    });
    const [field, unknown] = views(line);
    assert.equal(field?.subject, 'step');
    assert.equal(field?.step, null, 'the record has no segment 9');
    assert.deepEqual(
      [field?.ours.value, field?.theirs.value],
      [
        { kind: 'json', text: '{"score":1}' },
        { kind: 'json', text: 'null' },
      ],
    );
    assert.equal(unknown?.subject, 'other');
    assert.deepEqual(unknown?.theirs.value, { kind: 'json', text: '2' });
  });
});
