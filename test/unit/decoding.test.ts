import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { CandidateDecode } from '../../src/engine/decode/candidate';
import { KvCache } from '../../src/engine/decode/kvCache';
import { PrefixCache } from '../../src/engine/decode/prefixCache';
import { sampleToken } from '../../src/engine/decode/sampler';
import { seededRandom } from '../../src/random';
import { samplingSchema } from '../../src/protocol';

/** A detokenizer over a fixed table of pieces: token i is pieces[i]. */
const pieces = ['The', ' answer', ' is', ' 4', '.', '\n', '###', ' Step', '</', 'REASONING', '>', ' more'];
const detokenize = (tokens: readonly number[]) => tokens.map((token) => pieces[token]).join('');

function feed(candidate: CandidateDecode, tokens: number[]): string[] {
  const streamed: string[] = [];
  for (const token of tokens) {
    if (candidate.done) break;
    streamed.push(candidate.push(token, -0.5));
  }
  return streamed;
}

describe('stop strings', () => {
  it('cut the text exactly where a stop spanning several tokens begins, and keep the tokens before it', () => {
    const candidate = new CandidateDecode(detokenize, ['</REASONING>'], 100);
    const streamed = feed(candidate, [0, 1, 2, 3, 8, 9, 10, 11]);
    const result = candidate.result();
    assert.equal(result.text, 'The answer is 4');
    assert.deepEqual(result.tokens, [0, 1, 2, 3]);
    assert.equal(result.finishReason, 'stop');
    assert.equal(result.stopString, '</REASONING>');
    assert.equal(result.logprob, -2);
    assert.equal(streamed.join(''), result.text, 'the stream never shows a piece of the stop string');
  });

  it('hold back text that may begin a stop string, then release it when it does not', () => {
    const candidate = new CandidateDecode(detokenize, ['\n###'], 100);
    assert.equal(candidate.push(0, 0), 'The');
    assert.equal(candidate.push(5, 0), '', 'a newline may start "\\n###"');
    assert.equal(candidate.push(1, 0), '\n answer');
    assert.equal(candidate.push(5, 0), '');
    assert.equal(candidate.push(6, 0), '');
    assert.equal(candidate.result().text, 'The\n answer');
    assert.equal(candidate.result().finishReason, 'stop');
  });

  it('picks the earliest of several stops found in one token', () => {
    const candidate = new CandidateDecode((tokens) => tokens.map((t) => ['a', 'b.c;d'][t]).join(''), [';', '.'], 100);
    candidate.push(0, 0);
    candidate.push(1, 0);
    assert.equal(candidate.result().text, 'ab');
    assert.equal(candidate.result().stopString, '.');
    assert.deepEqual(candidate.result().tokens, [0], 'the token holding the stop is not kept');
  });

  it('ends at the token limit and on EOS with what was decoded', () => {
    const limited = new CandidateDecode(detokenize, [], 2);
    feed(limited, [0, 1, 2]);
    assert.equal(limited.result().finishReason, 'length');
    assert.deepEqual(limited.result().tokens, [0, 1]);
    const ended = new CandidateDecode(detokenize, ['###'], 10);
    ended.push(0, 0);
    ended.end('eos');
    assert.equal(ended.result().finishReason, 'eos');
    assert.equal(ended.result().text, 'The');
  });
});

describe('sampler', () => {
  const logits = Float32Array.from([1, 3, 2, 0.5, -1]);
  const sampling = (input: Parameters<typeof samplingSchema.parse>[0]) => samplingSchema.parse(input);

  it('is greedy at temperature 0 and reports the model log-probability', () => {
    const { token, logprob } = sampleToken(logits, sampling({ temperature: 0 }), seededRandom(1));
    assert.equal(token, 1);
    const expected = 3 - Math.log([1, 3, 2, 0.5, -1].reduce((sum, value) => sum + Math.exp(value), 0));
    assert.ok(Math.abs(logprob - expected) < 1e-6);
  });

  it('draws the same tokens from the same seed, and different ones from another', () => {
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 40 }, () => sampleToken(logits, sampling({ temperature: 1 }), random).token);
    };
    assert.deepEqual(draw(7), draw(7));
    assert.notDeepEqual(draw(7), draw(8));
  });

  it('never draws outside top-k or top-p', () => {
    const random = seededRandom(3);
    const topK = new Set(Array.from({ length: 300 }, () => sampleToken(logits, sampling({ temperature: 2, topK: 2 }), random).token));
    assert.deepEqual([...topK].sort(), [1, 2]);
    // Probabilities at T=1: 0.63, 0.23, 0.086, ...; top-p 0.7 keeps the first two.
    const topP = new Set(Array.from({ length: 300 }, () => sampleToken(logits, sampling({ temperature: 1, topP: 0.7 }), random).token));
    assert.deepEqual([...topP].sort(), [1, 2]);
  });

  it('follows the distribution', () => {
    const random = seededRandom(11);
    const counts = [0, 0, 0, 0, 0];
    const draws = 20_000;
    for (let i = 0; i < draws; i++) counts[sampleToken(logits, sampling({ temperature: 1 }), random).token]++;
    const total = [1, 3, 2, 0.5, -1].reduce((sum, value) => sum + Math.exp(value), 0);
    counts.forEach((count, i) => {
      const expected = Math.exp([1, 3, 2, 0.5, -1][i] as number) / total;
      assert.ok(Math.abs(count / draws - expected) < 0.015, `token ${i}: ${count / draws} vs ${expected}`);
    });
  });
});

/** A one-layer cache whose values say which row and position they came from: 100 * row + position. */
function labelledCache(rows: number, length: number): KvCache {
  const heads = 2;
  const headDim = 3;
  const data = new Float32Array(rows * heads * length * headDim);
  for (let r = 0; r < rows; r++)
    for (let h = 0; h < heads; h++)
      for (let t = 0; t < length; t++) for (let d = 0; d < headDim; d++) data[((r * heads + h) * length + t) * headDim + d] = 100 * r + t;
  const tensor = new ort.Tensor('float32', data, [rows, heads, length, headDim]);
  return new KvCache([{ key: tensor, value: tensor }], rows, length);
}

const positions = (kv: KvCache, row: number) => {
  const [, heads, length, headDim] = (kv.layers[0]?.key.dims ?? []) as number[];
  const data = kv.layers[0]?.key.data as Float32Array;
  const per = (heads as number) * (length as number) * (headDim as number);
  return Array.from({ length: length as number }, (_, t) => data[row * per + t * (headDim as number)]);
};

describe('KV cache rows', () => {
  it('fans a row out, drops rows and cuts to a prefix, per head', async () => {
    const kv = labelledCache(3, 4);
    const picked = await kv.select(ort, [2, 0, 2], 2);
    assert.equal(picked.batch, 3);
    assert.equal(picked.length, 2);
    assert.deepEqual(picked.layers[0]?.key.dims, [3, 2, 2, 3]);
    assert.deepEqual(positions(picked, 0), [200, 201]);
    assert.deepEqual(positions(picked, 1), [0, 1]);
    const data = picked.layers[0]?.key.data as Float32Array;
    assert.equal(data[(0 * 2 + 1) * 2 * 3], 200, 'the second head of row 0 starts at position 0 of source row 2');
  });
});

describe('prefix cache', () => {
  const one = (length: number) => labelledCache(1, length);

  it('finds the longest cached prefix, also inside a longer snapshot, leaving the last prompt token to compute', () => {
    const cache = new PrefixCache(1e9);
    cache.insert([1, 2, 3, 4, 5], one(5));
    assert.equal(cache.lookup([1, 2, 3, 9])?.length, 3);
    assert.equal(cache.lookup([1, 2, 3, 4, 5])?.length, 4, 'at most the prompt less its last token');
    assert.equal(cache.lookup([1, 2, 3, 4, 5, 6])?.length, 5);
    assert.equal(cache.lookup([7, 1, 2]), undefined);
  });

  it('evicts the least recently used snapshots beyond its byte limit, never a leased one', () => {
    const bytes = one(4).bytes;
    const cache = new PrefixCache(bytes * 2);
    cache.insert([1, 1, 1, 1], one(4));
    cache.insert([2, 2, 2, 2], one(4));
    const lease = cache.lease(cache.lookup([1, 1, 1, 1, 0]) as NonNullable<ReturnType<PrefixCache['lookup']>>);
    cache.insert([3, 3, 3, 3], one(4));
    assert.equal(cache.size, 2);
    assert.ok(cache.lookup([1, 1, 1, 1, 0]), 'the leased snapshot stays');
    assert.equal(cache.lookup([2, 2, 2, 2, 0]), undefined, 'the idle older one went');
    lease.release();
    cache.insert([4, 4, 4, 4], one(4));
    assert.ok(cache.bytes <= bytes * 2);
    assert.equal(cache.lookup([1, 1, 1, 1, 0]), undefined, 'released, it is the oldest');
  });

  it('does not store a sequence a longer snapshot already covers', () => {
    const cache = new PrefixCache(1e9);
    cache.insert([1, 2, 3], one(3));
    cache.insert([1, 2], one(2));
    assert.equal(cache.size, 1);
  });
});
