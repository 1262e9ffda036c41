import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIRST_SEGMENT, focusable, keptFocus, movedFocus, replyAt } from '../../webview/state/focus';
import { reply, sample } from './webviewSamples';

describe('the focus in the sample view', () => {
  // Two turns of a conversation, and a tree search's second path.
  const record = sample([reply(2), reply(2, { model: 'qwen', turn: 0 })], [reply(3, { turn: 1 })]);

  it('goes through the replies turn by turn, then the other paths, and stops at both ends', () => {
    assert.deepEqual(focusable(record), [
      { turn: 0, segment: 0 },
      { turn: 0, segment: 1 },
      { turn: 1, segment: 0 },
      { turn: 1, segment: 1 },
      { turn: 1, segment: 2 },
      { turn: 0, segment: 0, model: 'qwen' },
      { turn: 0, segment: 1, model: 'qwen' },
    ]);
    assert.deepEqual(movedFocus(record, FIRST_SEGMENT, -1), FIRST_SEGMENT);
    assert.deepEqual(movedFocus(record, { turn: 0, segment: 1 }, 1), { turn: 1, segment: 0 });
    assert.deepEqual(movedFocus(record, { turn: 1, segment: 2 }, 1), { turn: 0, segment: 0, model: 'qwen' });
    assert.deepEqual(movedFocus(record, { turn: 0, segment: 1, model: 'qwen' }, 5), { turn: 0, segment: 1, model: 'qwen' });
  });

  it('finds the reply a focus is in: a turn, or a path by its model', () => {
    assert.equal(replyAt(record, { turn: 1 })?.segments.length, 3);
    assert.equal(replyAt(record, { turn: 0, model: 'qwen' })?.model, 'qwen');
    assert.equal(replyAt(record, { turn: 0, model: 'llama' }), undefined);
  });

  it('stays where it is after an edit, or moves to the nearest segment before it that is left', () => {
    assert.deepEqual(keptFocus(record, { turn: 1, segment: 2 }), { turn: 1, segment: 2 });
    const shorter = sample([reply(2)], [reply(1, { turn: 1 })]);
    assert.deepEqual(keptFocus(shorter, { turn: 1, segment: 2 }), { turn: 1, segment: 0 });
    assert.deepEqual(keptFocus(sample([reply(0)]), { turn: 0, segment: 3 }), FIRST_SEGMENT, 'no segment at all');
  });
});
