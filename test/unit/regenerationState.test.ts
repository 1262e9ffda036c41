import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  INITIAL_REGENERATION,
  placement,
  type RegenerationEvent,
  type RegenerationMessage,
  type RegenerationState,
  regenerationReducer,
} from '../../webview/state/regenerationState';

/** Runs events from a state, collecting what is sent to the host. */
function play(events: RegenerationEvent[], from: RegenerationState = { ...INITIAL_REGENERATION, line: 3 }) {
  let state = from;
  const sent: string[] = [];
  for (const event of events) {
    const next = regenerationReducer(state, event);
    state = next.state;
    sent.push(...next.send.map((message) => message.type));
  }
  return { state, sent };
}

const report = (fields: Partial<RegenerationMessage>): RegenerationEvent => ({
  type: 'report',
  message: { type: 'regeneration', line: 3, segment: 2, side: 'primary', turn: 0, state: 'decoding', candidates: [], final: false, ...fields },
});
const start = (fields: Partial<{ segment: number; rest: boolean; method: 'beam' | 'mcts' }> = {}): RegenerationEvent => ({
  type: 'start',
  target: { line: 3, segment: 2, side: 'primary', turn: 0, rest: false, ...fields },
});
const tree = { nodes: [], bestPath: [0], iterations: 4, budget: 4, solved: false, reflections: [] };

describe('the regeneration state of the sample view', () => {
  it('starts one run at a time, asking the host, and shows it starting in its card', () => {
    const { state, sent } = play([start({ method: 'mcts' }), start({ segment: 3 })]);
    assert.deepEqual(sent, ['regenerate']);
    assert.deepEqual(state.running, { line: 3, side: 'primary', turn: 0 });
    assert.equal(state.shown?.state, 'starting');
    assert.deepEqual(placement(state), state.shown);
    const [request] = regenerationReducer({ ...INITIAL_REGENERATION, line: 3 }, start({ method: 'mcts', rest: true })).send;
    assert.deepEqual(request, { type: 'regenerate', line: 3, segment: 2, side: 'primary', turn: 0, rest: true, method: 'mcts' });
  });

  it('follows the reports to the final one, which frees the buttons; a run over the rest moves from card to card', () => {
    const decoding = play([start({ rest: true }), report({ candidates: ['a', 'b'] })]);
    assert.equal(decoding.state.shown?.state, 'decoding');
    assert.deepEqual(decoding.state.shown?.candidates, ['a', 'b']);
    const firstDone = play([report({ state: 'done', candidates: ['a'], final: false })], decoding.state);
    assert.ok(firstDone.state.running, 'the rest goes on');
    const next = play([report({ segment: 3, candidates: ['c'] })], firstDone.state);
    assert.equal(placement(next.state)?.segment, 3);
    const last = play([report({ segment: 3, state: 'done', candidates: ['c'], final: true })], next.state);
    assert.equal(last.state.running, undefined);
    assert.equal(last.state.shown?.state, 'done');
  });

  it('keeps what was decoded in view when a report brings no candidates, and a cancelled rest where it stopped', () => {
    const decoding = play([start({ rest: true }), report({ segment: 3, candidates: ['partial'] })]);
    const cancelled = play([report({ segment: 2, state: 'cancelled', final: true })], decoding.state);
    assert.equal(cancelled.state.shown?.segment, 3);
    assert.deepEqual(cancelled.state.shown?.candidates, ['partial']);
  });

  it('cancels before the host has reported: frees the buttons at once, and asks again when the run shows up', () => {
    const early = play([start(), { type: 'cancel' }]);
    assert.deepEqual(early.sent, ['regenerate', 'cancelRegeneration']);
    assert.equal(early.state.shown?.state, 'cancelling');
    assert.equal(early.state.running, undefined);
    const late = play([report({})], early.state);
    assert.deepEqual(late.sent, ['cancelRegeneration'], 'the first cancel may have come before the host had the run');
    const after = play([report({ state: 'cancelled', final: true })], late.state);
    assert.deepEqual(after.sent, [], 'asked again once only');
  });

  it('cancels a reported run by asking the host, keeping the panel until the host says it stopped', () => {
    const running = play([start(), report({ candidates: ['x'] })]);
    const cancel = play([{ type: 'cancel' }], running.state);
    assert.deepEqual(cancel.sent, ['cancelRegeneration']);
    assert.equal(cancel.state, running.state);
  });

  it('follows a run started elsewhere (the palette), and shows it only on its own record', () => {
    const elsewhere = play([report({ line: 7 })]);
    assert.ok(elsewhere.state.running, 'the buttons wait for it');
    assert.equal(elsewhere.state.shown, undefined);
    const here = play([report({})]);
    assert.equal(here.state.shown?.state, 'decoding');
    const moved = play([{ type: 'showing', line: 4 }], here.state);
    assert.equal(moved.state.shown, undefined, 'another record: the panel goes');
  });

  it('lets a finished beam search give way to the refreshed record, and keeps a tree search until dismissed', () => {
    const beam = play([start(), report({ state: 'done', candidates: ['a'], final: true }), { type: 'showing', line: 3 }]);
    assert.equal(beam.state.shown, undefined, 'the record now lists the candidates as alternatives');
    const search = play([start({ method: 'mcts' }), report({ state: 'done', candidates: ['a'], final: true, search: tree }), { type: 'showing', line: 3 }]);
    assert.equal(search.state.shown?.search, tree);
    assert.equal(play([{ type: 'dismiss', explicit: false }], search.state).state.shown?.search, tree, 'working on the record keeps the tree');
    assert.equal(play([{ type: 'dismiss', explicit: true }], search.state).state.shown, undefined, 'its own Dismiss');
    assert.equal(play([{ type: 'reflectionAccepted' }], search.state).state.shown, undefined);
  });

  it('dismisses only a finished run', () => {
    const running = play([start(), report({})]);
    assert.equal(play([{ type: 'dismiss', explicit: true }], running.state).state, running.state);
    const failed = play([report({ state: 'failed', message: 'no candidates', final: true })], running.state);
    assert.equal(failed.state.shown?.message, 'no candidates');
    assert.equal(play([{ type: 'dismiss', explicit: false }], failed.state).state.shown, undefined);
  });
});
