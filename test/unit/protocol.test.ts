import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_PAGE_SIZE, webviewMessageSchema } from '../../src/protocol';

describe('webview messages', () => {
  it('accepts the messages the view sends', () => {
    assert.ok(webviewMessageSchema.safeParse({ type: 'ready' }).success);
    assert.ok(webviewMessageSchema.safeParse({ type: 'requestPage', start: 0, count: 100 }).success);
  });

  it('rejects unknown types, bad ranges and oversized pages', () => {
    for (const message of [
      { type: 'deleteEverything' },
      { type: 'requestPage', start: -1, count: 10 },
      { type: 'requestPage', start: 0.5, count: 10 },
      { type: 'requestPage', start: 0, count: MAX_PAGE_SIZE + 1 },
      { type: 'requestPage', start: '0', count: 10 },
      null,
      'ready',
    ]) {
      assert.equal(webviewMessageSchema.safeParse(message).success, false, JSON.stringify(message));
    }
  });
});
