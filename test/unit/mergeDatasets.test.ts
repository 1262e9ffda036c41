import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readRecordState } from '../../src/dataset/operations';
import { setValue } from '../../src/dataset/recordEdit';
import { mergeDatasets } from '../../src/merge/mergeDatasets';
import { annotate, annotateAs, mulberryLines, rate, review, signed } from '../harness/annotating';

const lines = mulberryLines(4);
const base = `${lines.join('\n')}\n`;

const apply = annotate;
const withLine = (index: number, text: string): string => `${lines.map((line, i) => (i === index ? text : line)).join('\n')}\n`;
const valid = (text: string): void => {
  for (const line of text.split('\n')) if (line !== '') JSON.parse(line);
};

describe('merging JSONL datasets three ways', () => {
  it('takes a record changed on one side, and changes to different records from both, byte for byte elsewhere', () => {
    const ours = withLine(0, apply(lines[0] as string, rate(0, 1)));
    const theirs = withLine(2, apply(lines[2] as string, rate(1, -1)));
    const merged = mergeDatasets(base, ours, theirs);
    assert.equal(merged.conflicts, 0);
    const out = merged.text.split('\n');
    assert.equal(out[0], ours.split('\n')[0]);
    assert.equal(out[1], lines[1]);
    assert.equal(out[2], theirs.split('\n')[2]);
    assert.equal(out[3], lines[3]);
  });

  it('merges one record both sides changed, segment by segment, and keeps a true conflict in its block', () => {
    const ours = withLine(0, apply(lines[0] as string, rate(0, 1), rate(2, 1)));
    const theirs = withLine(0, apply(lines[0] as string, rate(1, -1), rate(2, -1)));
    const merged = mergeDatasets(base, ours, theirs);
    valid(merged.text);
    assert.equal(merged.conflicts, 1);
    const { annotations } = readRecordState(merged.text.split('\n')[0] as string);
    assert.deepEqual(
      [0, 1, 2].map((segment) => annotations.segments[String(segment)]?.rating),
      [1, -1, 1],
    );
    assert.deepEqual((annotations as unknown as { conflicts: unknown[] }).conflicts, [{ path: 'segments.2.rating', ours: 1, theirs: -1 }]);
  });

  it('keeps both edits of one record that two annotators made to different steps, both texts of a step edited twice, and the record as one conflict when both changed its question', () => {
    // Mulberry records have no id: they are matched by their prompt, which an edit of a step leaves alone.
    const edit = (segment: number, text: string) => ({ kind: 'editSegment' as const, line: 1, segment, text });
    const steps = (line: string) => readRecordState(line).parsed.responses[0]?.segments.map((segment) => segment.text) ?? [];
    const first = lines[0] as string;
    const ours = withLine(0, apply(first, edit(1, 'Ours: the legs are 6 and 8.')));
    const theirs = withLine(0, apply(first, edit(3, 'Theirs: so x = 10.'), rate(2, 1)));
    const merged = mergeDatasets(base, ours, theirs);
    valid(merged.text);
    assert.equal(merged.conflicts, 0);
    const out = merged.text.split('\n');
    assert.equal(out.length, base.split('\n').length, 'one line for the record, not one per side');
    const mergedSteps = steps(out[0] as string);
    assert.equal(mergedSteps[1], 'Ours: the legs are 6 and 8.');
    assert.equal(mergedSteps[3], 'Theirs: so x = 10.');
    assert.deepEqual(
      mergedSteps.filter((_, i) => i !== 1 && i !== 3),
      steps(first).filter((_, i) => i !== 1 && i !== 3),
    );
    assert.equal(readRecordState(out[0] as string).annotations.segments['2']?.rating, 1, "theirs' rating with both edits");

    // One step edited by both, another by theirs alone: theirs' other edit stays, the step keeps both texts.
    const twice = mergeDatasets(
      base,
      withLine(0, annotateAs('ana', first, edit(1, 'Ours: the legs are 6 and 8.'))),
      withLine(0, annotateAs('bo', first, edit(1, 'Theirs: the legs are 8 and 6.'), edit(2, 'Theirs: 36 + 64 = 100.'))),
    );
    valid(twice.text);
    assert.equal(twice.conflicts, 1);
    const [kept] = twice.text.split('\n');
    assert.deepEqual(steps(kept as string).slice(1, 3), ['Ours: the legs are 6 and 8.', 'Theirs: 36 + 64 = 100.'], 'ours stays until adjudicated');
    assert.deepEqual(readRecordState(kept as string).annotations.conflicts, [
      { path: 'segments.1.text', ours: 'Ours: the legs are 6 and 8.', theirs: 'Theirs: the legs are 8 and 6.', oursBy: 'ana', theirsBy: 'bo' },
    ]);

    // Text outside the steps changed both ways (the question; the record has an id to be known by): the whole record is the conflict.
    const withId = setValue(first, ['id'], 'r1');
    const asked = (question: string, line: string) => setValue(line, ['messages', 0, 'content'], question);
    const whole = mergeDatasets(`${withId}\n`, `${asked('Find x (ours).', withId)}\n`, `${asked('Find x (theirs).', withId)}\n`);
    assert.equal(whole.conflicts, 1);
    assert.equal(readRecordState(whole.text.split('\n')[0] as string).annotations.conflicts?.[0]?.path, 'record');
  });

  it('tells records with one prompt apart by their order, so annotating the second leaves the first alone', () => {
    const twin = `${lines[0]}\n${lines[0]}\n`;
    const theirs = `${lines[0]}\n${apply(lines[0] as string, rate(0, -1))}\n`;
    const merged = mergeDatasets(twin, twin, theirs);
    assert.equal(merged.conflicts, 0);
    assert.equal(merged.text, theirs);
  });

  it('keeps a record added on both sides once, and one deleted on one side but annotated on the other', () => {
    const added = JSON.stringify({
      id: 'new',
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'a' },
      ],
    });
    const ours = `${lines.slice(1).join('\n')}\n${added}\n`;
    const theirs = `${withLine(0, apply(lines[0] as string, rate(0, 1))).trimEnd()}\n${added}\n`;
    const merged = mergeDatasets(base, ours, theirs);
    valid(merged.text);
    const out = merged.text.trimEnd().split('\n');
    assert.equal(out.filter((line) => line === added).length, 1);
    assert.ok(
      out.some((line) => readRecordState(line).annotations.segments['0']?.rating === 1),
      'the annotated record survives its deletion',
    );
  });

  it('keeps CRLF line endings', () => {
    const crlf = base.replace(/\n/g, '\r\n');
    const theirs = withLine(1, apply(lines[1] as string, rate(0, 0))).replace(/\n/g, '\r\n');
    const merged = mergeDatasets(crlf, crlf, theirs);
    assert.equal(merged.text, theirs);
  });

  it('takes who rated with the rating taken, and names both raters of a conflicting rating', () => {
    const ours = withLine(0, signed(apply(lines[0] as string, rate(0, 1), rate(2, 1)), 'alice'));
    const theirs = withLine(0, signed(apply(lines[0] as string, rate(1, -1), rate(2, -1)), 'bob'));
    const merged = mergeDatasets(base, ours, theirs);
    assert.equal(merged.conflicts, 1, 'ratedBy is no conflict of its own');
    const { annotations } = readRecordState(merged.text.split('\n')[0] as string);
    assert.deepEqual(
      [0, 1, 2].map((segment) => annotations.segments[String(segment)]?.ratedBy),
      ['alice', 'bob', 'alice'],
    );
    assert.deepEqual(annotations.conflicts, [{ path: 'segments.2.rating', ours: 1, theirs: -1, oursBy: 'alice', theirsBy: 'bob' }]);
  });

  it("takes theirs' rater with theirs' rating, and a rating both gave alike is no conflict", () => {
    const carols = signed(apply(lines[0] as string, rate(3, 1)), 'carol');
    const before = withLine(0, carols);
    const ours = withLine(0, signed(apply(carols, rate(0, 1)), 'alice'));
    const theirs = withLine(0, signed(apply(lines[0] as string, rate(0, 1), rate(3, -1)), 'bob'));
    const merged = mergeDatasets(before, ours, theirs);
    assert.equal(merged.conflicts, 0);
    const { annotations } = readRecordState(merged.text.split('\n')[0] as string);
    assert.deepEqual([annotations.segments['0']?.ratedBy, annotations.segments['3']?.rating, annotations.segments['3']?.ratedBy], ['alice', -1, 'bob']);
  });

  it('names the reviewers of a conflicting review, and two alike reviews by different people are no conflict', () => {
    const reviewed = (status: 'accepted' | 'rejected', name: string) => withLine(1, signed(apply(lines[1] as string, review(status)), name));
    const conflicting = mergeDatasets(base, reviewed('accepted', 'alice'), reviewed('rejected', 'bob'));
    assert.equal(conflicting.conflicts, 1);
    const { annotations } = readRecordState(conflicting.text.split('\n')[1] as string);
    assert.deepEqual(
      annotations.conflicts?.map(({ path, oursBy, theirsBy }) => ({ path, oursBy, theirsBy })),
      [{ path: 'review', oursBy: 'alice', theirsBy: 'bob' }],
    );
    const alike = mergeDatasets(base, reviewed('accepted', 'alice'), reviewed('accepted', 'bob'));
    assert.equal(alike.conflicts, 0);
    assert.equal(readRecordState(alike.text.split('\n')[1] as string).annotations.review.status, 'accepted');
  });
});
