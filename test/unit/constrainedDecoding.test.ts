import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalEngine } from '../../src/engine/localEngine';
import { CandidateDecode } from '../../src/engine/decode/candidate';
import { sampleToken } from '../../src/engine/decode/sampler';
import type { Segment } from '../../src/dataset/record';
import { samplingSchema } from '../../src/protocol';
import { seededRandom } from '../../src/random';
import { segmentBoundary } from '../../src/search/segmentPrompt';
import { makeTestModel } from '../../src/testModel';
import { datasetsDir } from '../harness/fixtures';
import { scratchFolder } from '../harness/scratch';

/**
 * A vocabulary where every tag takes several tokens, as byte-level BPE tokenizers (Qwen2, Llama 3) spell them:
 * `<`, `</` and `>` apart from the names, the names in pieces, and pieces that run across a tag's edge.
 */
const PIECES = [
  '<',
  '</',
  '>',
  'SUM',
  'MARY',
  'REASON',
  'ING',
  'CAP',
  'TION',
  'think',
  'answer',
  '><',
  'ING>',
  ' the bar',
  ' is 3',
  '.',
  '\n',
  '###',
  ' Step',
  'CONCLUSION',
  '>\n',
];
const detokenize = (tokens: readonly number[]): string => tokens.map((token) => PIECES[token] ?? '').join('');
const stage = (label: string): Segment => ({ kind: 'stage', label, text: '', path: [], span: [0, 0] });

/** Pieces of markup, drawn more often than text so that tags are tried all the time. */
const MARKUP_PIECES = new Set(['<', '</', '>', 'SUM', 'MARY', 'REASON', 'ING', 'CAP', 'TION', 'think', 'answer', '><', 'ING>', 'CONCLUSION', '>\n']);

/** Decodes up to `steps` tokens drawn with `random`, markup favoured, under the segment's boundary as the engine applies it. */
function decodeMarkup(label: string, random: () => number, steps: number): CandidateDecode {
  const boundary = segmentBoundary(stage(label));
  const candidate = new CandidateDecode(detokenize, boundary.stop, steps, true, boundary.forbid);
  const logits = Float32Array.from(PIECES, (piece) => (MARKUP_PIECES.has(piece) ? 2 : 0));
  const sampling = samplingSchema.parse({ temperature: 1 });
  while (!candidate.done) {
    const { token, logprob } = sampleToken(logits, sampling, random, (next) => candidate.allows(next));
    candidate.push(token, logprob);
  }
  return candidate;
}

describe('a segment grammar over tags spelled with several tokens', () => {
  it("never lets another segment's tag appear, and always lets the closing tag end the candidate", () => {
    const boundary = segmentBoundary(stage('REASONING'));
    let closed = 0;
    for (let seed = 0; seed < 300; seed++) {
      const candidate = decodeMarkup('REASONING', seededRandom(seed), 60);
      const { text, finishReason } = candidate.result();
      for (const forbidden of boundary.forbid) assert.ok(!text.includes(forbidden), `seed ${seed}: ${JSON.stringify(text)} holds ${JSON.stringify(forbidden)}`);
      if (finishReason === 'stop') closed++;
    }
    assert.ok(closed > 0, 'some candidates end on </REASONING>, spelled </ REASON ING> or </ REASON ING>\\n');
  });

  it('finds a tag however the tokens fall across its edges', () => {
    const boundary = segmentBoundary(stage('CAPTION'));
    const candidate = new CandidateDecode(detokenize, boundary.stop, 50, true, boundary.forbid);
    const push = (piece: string) => candidate.push(PIECES.indexOf(piece), 0);
    for (const piece of [' the bar', '<', 'SUM', 'MARY']) {
      assert.ok(candidate.allows(PIECES.indexOf(piece)), `${piece} may come`);
      push(piece);
    }
    assert.equal(candidate.allows(PIECES.indexOf('>')), false, '<SUMMARY> would be complete');
    assert.equal(candidate.allows(PIECES.indexOf('><')), false, 'the same tag, completed by a token that goes on past it');
    assert.equal(candidate.allows(PIECES.indexOf('>\n')), false);
    assert.ok(candidate.allows(PIECES.indexOf(' is 3')));
    push(' is 3');
    for (const piece of ['</', 'CAP']) push(piece);
    assert.ok(candidate.allows(PIECES.indexOf('TION')), 'the stop string may be finished');
    push('TION');
    assert.ok(candidate.allows(PIECES.indexOf('>')));
    push('>');
    assert.equal(candidate.result().finishReason, 'stop');
    assert.equal(candidate.result().text, ' the bar<SUMMARY is 3');
  });

  it('holds markup a step must not hold out of a step, and nothing out of a whole response', () => {
    const step: Segment = { kind: 'step', label: 'Step 2', text: '', path: [], span: [0, 0] };
    assert.deepEqual(segmentBoundary(step).stop, ['\n###']);
    assert.ok(segmentBoundary(step).forbid.includes('<think>') && !segmentBoundary(step).forbid.includes('\n###'));
    assert.ok(segmentBoundary(stage('SUMMARY')).forbid.includes('\n###'), 'a stage holds no ### header');
    assert.ok(!segmentBoundary(stage('SUMMARY')).forbid.includes('</SUMMARY>'), 'its own end is its stop');
    assert.deepEqual(segmentBoundary({ kind: 'response', label: 'response', text: '', path: [], span: [0, 0] }).forbid, []);
  });
});

describe('drawing under a mask', () => {
  const logits = Float32Array.from([1, 3, 2, 0.5, -1]);
  const sampling = samplingSchema.parse({ temperature: 1 });

  it('draws what it draws without one when no drawn token is masked', () => {
    const unmasked = seededRandom(5);
    const masked = seededRandom(5);
    const plain = Array.from({ length: 200 }, () => sampleToken(logits, sampling, unmasked).token);
    const drawn = Array.from({ length: 200 }, () => sampleToken(logits, sampling, masked, () => true).token);
    assert.deepEqual(drawn, plain);
  });

  it('follows the distribution with the masked tokens taken out', () => {
    const random = seededRandom(13);
    const counts = [0, 0, 0, 0, 0];
    const draws = 20_000;
    for (let i = 0; i < draws; i++) counts[sampleToken(logits, sampling, random, (token) => token !== 1).token]++;
    assert.equal(counts[1], 0);
    const weights = [1, 3, 2, 0.5, -1].map((value, token) => (token === 1 ? 0 : Math.exp(value)));
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    weights.forEach((weight, token) => {
      assert.ok(Math.abs((counts[token] ?? 0) / draws - weight / total) < 0.015, `token ${token}`);
    });
  });

  it('is greedy among the allowed tokens at temperature 0, and says when none is allowed', () => {
    const greedy = samplingSchema.parse({ temperature: 0 });
    assert.equal(sampleToken(logits, greedy, seededRandom(1), (token) => token !== 1).token, 2);
    assert.throws(() => sampleToken(logits, greedy, seededRandom(1), () => false), /no token of the vocabulary may come next/);
  });
});

describe('the local engine under a segment grammar', () => {
  let engine: LocalEngine;
  before(async () => {
    const folder = scratchFolder('cot-studio-constrained-');
    makeTestModel(folder, { kind: 'bigram', corpus: ['llava_cot.jsonl', 'r1vl.jsonl'].map((name) => path.join(datasetsDir, name)), hidden: 256, vocab: 600 });
    engine = await LocalEngine.load(folder, { provider: 'cpu', prefixCacheBytes: 0 });
  });
  after(() => engine.dispose());

  it('keeps every candidate to its stage and its end, and gives the same candidate as without wherever nothing was masked', async () => {
    const boundary = segmentBoundary(stage('CAPTION'));
    const prompt = { text: '<SUMMARY> The image shows a chart. </SUMMARY>\n\n<CAPTION>' };
    const sampling = { n: 12, maxTokens: 120, temperature: 1, seed: 21, stop: boundary.stop };
    const free = await engine.generate({ prompt, sampling });
    const kept = await engine.generate({ prompt, sampling: { ...sampling, forbid: boundary.forbid, requireStop: true } });
    let unchanged = 0;
    free.candidates.forEach((candidate, i) => {
      const constrained = kept.candidates[i];
      assert.ok(constrained);
      for (const forbidden of boundary.forbid)
        assert.ok(!constrained.text.includes(forbidden), `candidate ${i} holds ${forbidden}: ${JSON.stringify(constrained.text)}`);
      assert.notEqual(constrained.finishReason, 'eos', `candidate ${i} never ends before </CAPTION>`);
      const brokeGrammar = candidate.finishReason === 'eos' || boundary.forbid.some((forbidden) => candidate.text.includes(forbidden));
      if (!brokeGrammar) {
        assert.deepEqual(constrained.tokens, candidate.tokens, `candidate ${i} drew nothing the grammar masks`);
        unchanged++;
      }
    });
    assert.ok(
      free.candidates.some((candidate) => candidate.finishReason === 'eos' || boundary.forbid.some((forbidden) => candidate.text.includes(forbidden))),
      'sampled freely, some candidates break the stage',
    );
    assert.ok(
      kept.candidates.filter((candidate) => candidate.finishReason === 'stop').length >
        free.candidates.filter((candidate) => candidate.finishReason === 'stop').length,
      'more candidates reach </CAPTION>',
    );
    assert.ok(unchanged > 0 || free.candidates.every((candidate) => candidate.finishReason === 'eos'));
  });
});
