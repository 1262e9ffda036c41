import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostMessage, RecordSummary, Sample } from '../../src/protocol';
import { Store } from '../../webview/state/store';
import {
  type Effect,
  focusedSegment,
  type HostEvent,
  INITIAL_VIEW,
  type ViewContext,
  type ViewEvent,
  type ViewState,
  viewReducer,
} from '../../webview/state/viewState';
import { reply, sample } from './webviewSamples';

/** A list of `count` records whose pages are here up to `loaded` rows; record i is on line i + 1. */
function list(count: number, loaded = count): ViewContext {
  const summary = (index: number): RecordSummary => ({
    index,
    line: index + 1,
    question: null,
    problem: null,
    format: null,
    review: 'unreviewed',
    segments: 0,
    rated: 0,
    checks: [],
  });
  return { recordAt: (position) => (position < loaded && position < count ? summary(position) : undefined), restoredPosition: undefined };
}

/** Runs events from a state, collecting the effects. */
function play(events: ViewEvent[], context: ViewContext, from: ViewState = INITIAL_VIEW): { state: ViewState; effects: Effect[] } {
  let state = from;
  const effects: Effect[] = [];
  for (const event of events) {
    const next = viewReducer(state, event, context);
    state = next.state;
    effects.push(...next.effects);
  }
  return { state, effects };
}

const host = (message: HostEvent): ViewEvent => ({ type: 'host', message });
const dataset = (recordCount: number): ViewEvent =>
  host({ type: 'dataset', fileName: 'data.jsonl', recordCount, lineCount: recordCount, complete: true } as Extract<HostMessage, { type: 'dataset' }>);
const posted = (effects: Effect[]) => effects.flatMap((effect) => (effect.type === 'post' ? [effect.message] : []));
const shown = (effects: Effect[]) => effects.flatMap((effect) => (effect.type === 'show' ? [effect.index] : []));
const withIndex = (record: Sample, index: number): Sample => ({ ...record, index, line: index + 1 });

describe('the dataset view store', () => {
  const context = list(10);
  const opened = play([dataset(10)], context);
  const record = withIndex(sample([reply(3)]), 0);
  const showing = play([{ type: 'sample', sample: record }], context, opened.state);

  it('selects the first record of a new dataset, tells the host, and asks for its sample and its neighbours', () => {
    assert.equal(opened.state.loading, false);
    assert.deepEqual(opened.state.header, { fileName: 'data.jsonl', records: 10, lines: 10, indexing: undefined });
    assert.deepEqual(posted(opened.effects), [{ type: 'select', index: 0 }]);
    assert.deepEqual(shown(opened.effects), [0]);
    assert.ok(opened.effects.some((effect) => effect.type === 'prefetch' && effect.position === 0 && effect.direction === 1));
    assert.deepEqual(play([dataset(0)], context).state.status, { kind: 'empty' });
  });

  it('tells the host the focused segment once the sample is shown, and once per move', () => {
    assert.deepEqual(posted(showing.effects), [{ type: 'select', index: 0, turn: 0, segment: 0 }]);
    const down = play(
      [
        { type: 'key', key: 'ArrowDown' },
        { type: 'key', key: 'ArrowDown' },
        { type: 'key', key: 'ArrowDown' },
      ],
      context,
      showing.state,
    );
    assert.deepEqual(down.state.focus, { turn: 0, segment: 2 }, 'held at the last segment');
    assert.deepEqual(
      posted(down.effects).map((message) => message.type === 'select' && message.segment),
      [1, 2],
    );
    assert.equal(down.effects.filter((effect) => effect.type === 'revealFocus').length, 3);
  });

  it('moves with j and k between rows, and does not tell the host about the old sample while the new one is on its way', () => {
    const next = play([{ type: 'key', key: 'j' }], context, showing.state);
    assert.equal(next.state.list.selected, 1);
    assert.equal(next.state.selectedIndex, 1);
    assert.deepEqual(posted(next.effects), [{ type: 'select', index: 1 }]);
    assert.equal(next.state.sample?.index, 0, 'the old sample stays until the new one arrives');
    const arrived = play([{ type: 'sample', sample: withIndex(record, 1) }], context, next.state);
    assert.deepEqual(posted(arrived.effects), [{ type: 'select', index: 1, turn: 0, segment: 0 }]);
    const top = play(
      [
        { type: 'key', key: 'k' },
        { type: 'key', key: 'k' },
      ],
      context,
      arrived.state,
    );
    assert.equal(top.state.list.selected, 0, 'held at the first row');
  });

  it('waits for the page of a row selected before it arrived', () => {
    const partial = list(10, 2);
    const start = play([dataset(10), { type: 'selectRow', position: 5, reveal: false }], partial);
    assert.equal(start.state.pendingPosition, 5);
    assert.equal(start.state.selectedIndex, 0);
    const arrived = play([{ type: 'page' }], context, start.state);
    assert.equal(arrived.state.pendingPosition, undefined);
    assert.deepEqual(shown(arrived.effects), [5]);
  });

  it('rates the focused segment, and takes the same rating back', () => {
    const rated = play([{ type: 'key', key: '1' }], context, showing.state);
    assert.deepEqual(posted(rated.effects), [{ type: 'operation', operation: { kind: 'rateSegment', turn: 0, segment: 0, rating: 1, line: 1 } }]);
    const withRating = sample([reply(3)]);
    const first = withRating.responses[0];
    if (first?.segments[0]) first.segments[0].rating = 1;
    const again = play(
      [
        { type: 'sample', sample: withRating },
        { type: 'key', key: '1' },
      ],
      context,
      showing.state,
    );
    assert.deepEqual(posted(again.effects).at(-1), { type: 'operation', operation: { kind: 'rateSegment', turn: 0, segment: 0, rating: null, line: 1 } });
    // A click on another card's rating rates that card, and the focus goes there.
    const clicked = play([{ type: 'rate', focus: { turn: 0, segment: 2 }, rating: -1 }], context, showing.state);
    assert.deepEqual(clicked.state.focus, { turn: 0, segment: 2 });
    assert.equal(focusedSegment(clicked.state)?.index, 2);
  });

  it("confirms the focused step's suggestion with c and every suggestion with C, and asks the host for pre-labels with p and rollouts with m", () => {
    assert.deepEqual(posted(play([{ type: 'key', key: 'c' }], context, showing.state).effects), [], 'no suggestion, nothing to confirm');
    const suggested = sample([reply(3)]);
    const step = suggested.responses[0]?.segments[1];
    if (step) step.prelabel = { label: -1, confidence: 0.8, by: 'judge', decision: null };
    const focused = play(
      [
        { type: 'sample', sample: suggested },
        { type: 'key', key: 'ArrowDown' },
      ],
      context,
      showing.state,
    );
    assert.deepEqual(posted(play([{ type: 'key', key: 'c' }], context, focused.state).effects), [
      { type: 'operation', operation: { kind: 'confirmPrelabels', turn: 0, segments: [1], line: 1 } },
    ]);
    assert.deepEqual(posted(play([{ type: 'key', key: 'C' }], context, focused.state).effects), [
      { type: 'operation', operation: { kind: 'confirmPrelabels', turn: 0, line: 1 } },
    ]);
    assert.deepEqual(posted(play([{ type: 'key', key: 'p' }], context, focused.state).effects), [{ type: 'labelSteps', line: 1, turn: 0, by: 'prelabel' }]);
    assert.deepEqual(posted(play([{ type: 'key', key: 'm' }], context, focused.state).effects), [{ type: 'labelSteps', line: 1, turn: 0, by: 'rollouts' }]);
  });

  it("takes the left version of a conflict with [ and the right with ]: the focused step's conflict, else the record's first", () => {
    assert.deepEqual(posted(play([{ type: 'key', key: '[' }], context, showing.state).effects), [], 'no conflict, nothing to take');
    const version = (rating: 1 | -1) => ({ by: null, value: { kind: 'rating' as const, rating } });
    const conflict = (index: number, segment: number) => ({
      index,
      path: `segments.${segment}.rating`,
      subject: 'step' as const,
      field: 'rating',
      step: { segment, side: 'primary' as const, turn: 0, model: null, label: `Step ${segment + 1}`, text: '' },
      parts: [],
      ours: version(1),
      theirs: version(-1),
    });
    const conflicted = play([{ type: 'sample', sample: sample([reply(3)], [], { conflicts: [conflict(0, 2), conflict(1, 1)] }) }], context, showing.state);
    assert.deepEqual(posted(play([{ type: 'key', key: '[' }], context, conflicted.state).effects), [
      { type: 'operation', operation: { kind: 'resolveConflict', conflict: 0, path: 'segments.2.rating', take: 'ours', line: 1 } },
    ]);
    assert.deepEqual(
      posted(
        play(
          [
            { type: 'key', key: 'ArrowDown' },
            { type: 'key', key: ']' },
          ],
          context,
          conflicted.state,
        ).effects,
      ),
      [
        { type: 'select', index: 0, turn: 0, segment: 1 },
        { type: 'operation', operation: { kind: 'resolveConflict', conflict: 1, path: 'segments.1.rating', take: 'theirs', line: 1 } },
      ],
    );
  });

  it('edits the focused segment until saved, cancelled or another record is shown; a new sample of the same record keeps it', () => {
    const editing = play([{ type: 'key', key: 'e' }], context, showing.state);
    assert.deepEqual(editing.state.editing, { turn: 0, segment: 0 });
    assert.ok(editing.effects.some((effect) => effect.type === 'focusEditor'));
    assert.deepEqual(play([{ type: 'sample', sample: record }], context, editing.state).state.editing, { turn: 0, segment: 0 });
    assert.equal(play([{ type: 'sample', sample: withIndex(record, 3) }], context, editing.state).state.editing, undefined);
    assert.equal(play([{ type: 'edit', focus: undefined }], context, editing.state).state.editing, undefined);
  });

  it('reviews with a, r and n, but never an unreadable line', () => {
    const reviewed = play(
      [
        { type: 'key', key: 'a' },
        { type: 'key', key: 'r' },
        { type: 'key', key: 'n' },
      ],
      context,
      showing.state,
    );
    assert.deepEqual(
      posted(reviewed.effects).map((message) => message.type === 'operation' && message.operation.kind === 'setReviewStatus' && message.operation.status),
      ['accepted', 'rejected', 'needs_fix'],
    );
    const broken = withIndex(sample([], [], { unreadable: { reason: 'bad JSON', text: '{' } }), 0);
    const unreadable = play(
      [
        { type: 'sample', sample: broken },
        { type: 'key', key: 'a' },
      ],
      context,
      opened.state,
    );
    assert.deepEqual(posted(unreadable.effects), []);
  });

  it('regenerates the focused segment by key, one run at a time, and follows the run to its end', () => {
    const started = play(
      [
        { type: 'key', key: 'ArrowDown' },
        { type: 'key', key: 'G' },
        { type: 'key', key: 't' },
      ],
      context,
      showing.state,
    );
    const requests = posted(started.effects).filter((message) => message.type === 'regenerate');
    assert.deepEqual(requests, [{ type: 'regenerate', line: 1, segment: 1, side: 'primary', turn: 0, rest: true, method: 'beam' }]);
    assert.equal(started.state.regeneration.shown?.state, 'starting');
    const report = (state: 'decoding' | 'done', final: boolean): ViewEvent =>
      host({ type: 'regeneration', line: 1, segment: 1, side: 'primary', turn: 0, state, candidates: ['a'], final });
    const done = play([report('decoding', false), report('done', true)], context, started.state);
    assert.equal(done.state.regeneration.running, undefined);
    assert.equal(done.state.regeneration.shown?.state, 'done');
    // A rating is the reviewer moving on: the finished run's message goes.
    const moved = play([{ type: 'key', key: '2' }], context, done.state);
    assert.equal(moved.state.regeneration.shown, undefined);
  });

  it("does not regenerate a tree search's other path", () => {
    const paths = withIndex(sample([reply(1), reply(1, { model: 'qwen' })]), 0);
    const onPath = play(
      [
        { type: 'sample', sample: paths },
        { type: 'key', key: 'ArrowDown' },
        { type: 'key', key: 'g' },
      ],
      context,
      opened.state,
    );
    assert.deepEqual(onPath.state.focus, { turn: 0, segment: 0, model: 'qwen' });
    assert.equal(onPath.state.regeneration.running, undefined);
  });

  it('shows again the record selected last when it changes, and the first row when a filter changes the count', () => {
    const changed = play([host({ type: 'changed', recordIndices: [0], recordCount: 10 })], context, showing.state);
    assert.deepEqual(shown(changed.effects), [0]);
    const elsewhere = play([host({ type: 'changed', recordIndices: [4], recordCount: 10 })], context, showing.state);
    assert.deepEqual(shown(elsewhere.effects), []);
    const afterJ = play([{ type: 'key', key: 'j' }, host({ type: 'changed', recordIndices: 'all', recordCount: 10 })], context, showing.state);
    assert.deepEqual(shown(afterJ.effects).at(-1), 1, 'the record of the j on its way, not the one on screen');
    const filtered = play([{ type: 'key', key: 'j' }, host({ type: 'changed', recordIndices: 'all', recordCount: 4 })], list(4), showing.state);
    assert.equal(filtered.state.list.selected, 0);
    assert.equal(filtered.state.list.count, 4);
  });

  it('keeps the filter chosen and its counts, and asks the host to apply it', () => {
    const chosen = play([{ type: 'filter', filter: { review: 'accepted' } }], context, opened.state);
    assert.deepEqual(posted(chosen.effects), [{ type: 'setFilter', filter: { review: 'accepted' } }]);
    const counts = {
      formats: { 'llava-cot': 10 },
      review: { accepted: 3 },
      checks: {},
      unrated: 1,
      hasAlternatives: 0,
      disagreement: 2,
      conflicts: 3,
      annotators: { ana: 2 },
    };
    const reading = play([host({ type: 'filtering', read: 5, of: 10, indexing: false })], context, chosen.state);
    assert.deepEqual(reading.state.filter.reading, { read: 5, of: 10, indexing: false });
    const result = play([host({ type: 'filtered', counts, count: 3, filterActive: true } as HostEvent)], context, reading.state);
    assert.deepEqual(result.state.filter, { chosen: { review: 'accepted' }, counts, shown: 3, active: true, reading: undefined });
  });

  it('shows the header while a file is indexed, and an error when the host reports one', () => {
    const indexing = play(
      [
        host({ type: 'dataset', fileName: 'big.jsonl', recordCount: 0, lineCount: 0, complete: false } as HostEvent),
        host({ type: 'indexing', recordCount: 50, lineCount: 51, listCount: 50, indexedBytes: 25, totalBytes: 100, complete: false } as HostEvent),
      ],
      list(50),
    );
    assert.deepEqual(indexing.state.header, { fileName: 'big.jsonl', records: 50, lines: 51, indexing: 25 });
    assert.equal(indexing.state.list.count, 50);
    assert.deepEqual(shown(indexing.effects), [0], 'the first records found are shown');
    const failed = play([host({ type: 'error', message: 'cannot read data.jsonl' })], context);
    assert.deepEqual(failed.state.status, { kind: 'error', message: 'cannot read data.jsonl' });
  });

  it('opens and closes the shortcuts with ? and Escape, and answers no other key', () => {
    const open = play([{ type: 'key', key: '?' }], context, showing.state);
    assert.equal(open.state.shortcuts, true);
    assert.ok(open.effects.some((effect) => effect.type === 'focusShortcuts'));
    assert.equal(play([{ type: 'key', key: 'Escape' }], context, open.state).state.shortcuts, false);
    assert.equal(play([{ type: 'key', key: 'x' }], context, showing.state).state, showing.state);
  });

  it('runs the effects of a dispatch after its listeners, and queues the events an effect dispatches', () => {
    const seen: string[] = [];
    const samples = new Map([[0, record]]);
    const store: Store = new Store(context, (effect) => {
      seen.push(`effect ${effect.type}`);
      const ready = effect.type === 'show' ? samples.get(effect.index) : undefined;
      if (ready) store.dispatch({ type: 'sample', sample: ready });
    });
    store.subscribe((state) => seen.push(`draw ${state.sample?.index ?? '-'}`));
    store.dispatch(dataset(10));
    assert.deepEqual(seen.slice(0, 2), ['draw -', 'effect selectedRow']);
    assert.ok(seen.indexOf('draw 0') > seen.indexOf('effect show'), 'the sample an effect brought is drawn after the first state');
    assert.equal(store.state.sample?.index, 0);
  });
});
