import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { placeImages } from '../../src/backends/imagePlacement';

describe('where a chat prompt places its images', () => {
  it('puts every image before the first question when the text holds no placeholder for each', () => {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'What is shown?' },
    ];
    assert.deepEqual(placeImages(messages, 2), [
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'image', image: 0 },
          { type: 'image', image: 1 },
          { type: 'text', text: 'What is shown?' },
        ],
      },
    ]);
    assert.deepEqual(placeImages(messages, 0), messages);
    assert.throws(() => placeImages([{ role: 'assistant', content: 'x' }], 1), /need a user message/);
  });

  it("keeps each image at its question's <image> placeholder when there is one per image, across turns", () => {
    const placed = placeImages(
      [
        { role: 'user', content: '<image>\nWhat is this?' },
        { role: 'assistant', content: 'A chart.' },
        { role: 'user', content: 'And compare it with <image> please' },
      ],
      2,
    );
    assert.deepEqual(placed[0]?.content, [
      { type: 'image', image: 0 },
      { type: 'text', text: 'What is this?' },
    ]);
    assert.equal(placed[1]?.content, 'A chart.');
    assert.deepEqual(placed[2]?.content, [
      { type: 'text', text: 'And compare it with ' },
      { type: 'image', image: 1 },
      { type: 'text', text: ' please' },
    ]);
  });

  it('does not take placeholders that do not match the images for theirs', () => {
    const placed = placeImages([{ role: 'user', content: '<image><image> two placeholders' }], 1);
    assert.deepEqual(placed[0]?.content, [
      { type: 'image', image: 0 },
      { type: 'text', text: '<image><image> two placeholders' },
    ]);
  });
});
