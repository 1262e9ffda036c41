import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Sample } from '../../src/protocol';
import { SamplePrefetch } from '../../webview/samplePrefetch';

/** A sample with nothing but its record index, which is all the prefetch looks at. */
const sample = (index: number) => ({ index }) as Sample;

function recording() {
  const requests: Array<[number, boolean]> = [];
  const prefetch = new SamplePrefetch((index, ahead) => requests.push([index, ahead]));
  return { prefetch, requests };
}

describe('sample prefetch', () => {
  it('asks for four records ahead in the direction of travel and two behind', () => {
    const { prefetch, requests } = recording();
    prefetch.around(10, 1, (position) => position);
    assert.deepEqual(requests, [
      [11, true],
      [12, true],
      [13, true],
      [14, true],
      [9, true],
      [8, true],
    ]);
    requests.length = 0;
    prefetch.around(10, -1, (position) => (position >= 0 ? position + 100 : undefined));
    assert.deepEqual(
      requests.map(([index]) => index),
      [109, 108, 107, 106, 111, 112],
    );
  });

  it('skips positions whose record is not known yet and never asks twice for one on its way', () => {
    const { prefetch, requests } = recording();
    prefetch.around(0, 1, (position) => (position >= 0 && position <= 2 ? position : undefined));
    prefetch.around(1, 1, (position) => (position >= 0 && position <= 2 ? position : undefined));
    assert.deepEqual(requests, [
      [1, true],
      [2, true],
      [0, true],
    ]);
  });

  it('shows a prefetched sample at once and one on its way when it arrives, without asking again', () => {
    const { prefetch, requests } = recording();
    prefetch.around(0, 1, (position) => position);
    assert.equal(prefetch.receive(sample(1)), undefined, 'a prefetched sample is kept, not shown');
    assert.equal(prefetch.select(1)?.index, 1);
    assert.equal(prefetch.select(2), undefined, 'record 2 is on its way');
    assert.equal(requests.filter(([index]) => index === 2).length, 1);
    assert.equal(prefetch.receive(sample(2))?.index, 2, 'the awaited sample is shown when it arrives');
  });

  it('does not show an answer that arrives after the reviewer moved on', () => {
    const { prefetch, requests } = recording();
    assert.equal(prefetch.select(5), undefined);
    assert.deepEqual(requests, [[5, false]]);
    prefetch.receive(sample(6));
    assert.equal(prefetch.select(6)?.index, 6);
    assert.equal(prefetch.receive(sample(5)), undefined, 'the late answer for record 5 is kept, not shown');
    assert.equal(prefetch.select(5)?.index, 5);
  });

  it('asks again after a change to the file', () => {
    const { prefetch, requests } = recording();
    prefetch.receive(sample(3));
    prefetch.clear();
    assert.equal(prefetch.select(3), undefined);
    assert.deepEqual(requests, [[3, false]]);
  });

  it('keeps at most sixteen samples', () => {
    const { prefetch } = recording();
    for (let index = 0; index < 20; index++) prefetch.receive(sample(index));
    assert.equal(prefetch.select(3), undefined, 'the oldest were dropped');
    assert.equal(prefetch.select(19)?.index, 19);
  });
});
