import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { fromFloat16 } from '../../src/onnx';
import {
  ENDOFTEXT_ID,
  IM_END_ID,
  makeTestModel,
  MIN_VOCAB,
  SPECIAL_TOKENS,
  STAGE_TAGS,
  type TestModelOptionsInput,
  testModelOptionsSchema,
  tokenId,
} from '../../src/testModel';
import type { SparseRows } from '../../src/testModel/bigram';
import { lowRankFactors } from '../../src/testModel/factor';
import { SeededRandom } from '../../src/testModel/random';
import { runCli } from '../harness/cli';
import { transformersOn } from '../harness/transformersJs';

// Weights larger than a trained model's init, so logits differ enough for comparisons to mean something.
const SMALL = { kind: 'random', layers: 2, hidden: 32, heads: 4, vocab: 320, initStd: 0.2 } as const;
const TOKENS = [300, 17, 261, 99, 5, 42, 310, 7];

interface FolderConfig {
  num_hidden_layers: number;
  num_key_value_heads: number;
  head_dim: number;
  vocab_size: number;
  cot_studio: { exactBigrams?: boolean };
}

let root: string;
let corpusFile: string;
const folders = new Map<string, string>();
const sessions: ort.InferenceSession[] = [];

function build(name: string, options: TestModelOptionsInput): void {
  const dir = path.join(root, name);
  makeTestModel(dir, options);
  folders.set(name, dir);
}

const folder = (name: string): string => folders.get(name) as string;
const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
const configOf = (name: string) => readJson<FolderConfig>(path.join(folder(name), 'config.json'));

async function open(name: string, file = 'model.onnx'): Promise<ort.InferenceSession> {
  const session = await ort.InferenceSession.create(path.join(folder(name), 'onnx', file), { executionProviders: ['cpu'] });
  sessions.push(session);
  return session;
}

const int64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [rows.length, rows[0]?.length ?? 0]);
function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** The HF convention for position ids: running count of real tokens, pads at 1 (they are masked anyway). */
function positionsOf(mask: number[]): number[] {
  let next = 0;
  return mask.map((kept) => (kept ? next++ : 1));
}

interface Step {
  /** Logits per row and position: [row][position] → vocab values. */
  logits: Float32Array[][];
  present: Record<string, ort.Tensor>;
}

/** One forward pass; `past` is the previous step's present tensors, or empty caches. */
async function forward(
  session: ort.InferenceSession,
  name: string,
  ids: number[][],
  mask: number[][],
  positions: number[][],
  past?: Record<string, ort.Tensor>,
): Promise<Step> {
  const config = configOf(name);
  const half = session.inputMetadata.some((meta) => meta.isTensor && meta.name.startsWith('past_key_values') && meta.type === 'float16');
  const feeds: Record<string, ort.Tensor> = { input_ids: int64(ids), attention_mask: int64(mask), position_ids: int64(positions) };
  for (let layer = 0; layer < config.num_hidden_layers; layer++) {
    for (const kind of ['key', 'value']) {
      const dims = [ids.length, config.num_key_value_heads, 0, config.head_dim];
      feeds[`past_key_values.${layer}.${kind}`] =
        past?.[`present.${layer}.${kind}`] ??
        (half ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims));
    }
  }
  const output = await session.run(feeds);
  const raw = output.logits?.data;
  const data = raw instanceof Uint16Array ? fromFloat16(raw) : (raw as Float32Array);
  const vocab = config.vocab_size;
  const length = ids[0]?.length ?? 0;
  const logits = ids.map((_, row) => Array.from({ length }, (__, t) => data.slice((row * length + t) * vocab, (row * length + t + 1) * vocab)));
  const present = Object.fromEntries(Object.entries(output).filter(([key]) => key.startsWith('present.')));
  return { logits, present };
}

/** Logits of every position of one unpadded sequence, in a single pass with an empty cache. */
async function fullPass(session: ort.InferenceSession, name: string, tokens: number[]): Promise<Float32Array[]> {
  const mask = tokens.map(() => 1);
  return (await forward(session, name, [tokens], [mask], [positionsOf(mask)])).logits[0] as Float32Array[];
}

/** The same logits as `fullPass`, from a three-token prompt and then one token at a time (past lengths 0, 3, 4, ...). */
async function cachedPass(session: ort.InferenceSession, name: string, tokens: number[]): Promise<Float32Array[]> {
  const prompt = tokens.slice(0, 3);
  let step = await forward(session, name, [prompt], [prompt.map(() => 1)], [[0, 1, 2]]);
  const logits = [...(step.logits[0] as Float32Array[])];
  for (let t = 3; t < tokens.length; t++) {
    step = await forward(session, name, [[tokens[t] as number]], [Array(t + 1).fill(1)], [[t]], step.present);
    logits.push(...(step.logits[0] as Float32Array[]));
  }
  return logits;
}

const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
};

function assertClose(actual: Float32Array[], expected: Float32Array[], tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((row, t) => {
    const difference = maxDifference(row, expected[t] as Float32Array);
    assert.ok(difference < tolerance, `${what}, position ${t}: logits differ by ${difference}`);
    assert.equal(argmax(row), argmax(expected[t] as Float32Array), `${what}, position ${t}: argmax`);
  });
}

const CORPUS_RECORDS = [
  {
    question: 'How many apples?',
    answer: '<SUMMARY>Count the apples.</SUMMARY><REASONING>First count the red ones, then the green ones.</REASONING><CONCLUSION>5</CONCLUSION>',
  },
  {
    question: 'How many pears?',
    answer: '<SUMMARY>Count the pears.</SUMMARY><REASONING>First count the pears on the table.</REASONING><CONCLUSION>3</CONCLUSION>',
  },
  { messages: [{ role: 'assistant', content: '<REASONING>First look at the image.</REASONING><CONCLUSION>2</CONCLUSION>' }] },
  { answer: '<REASONING>Then the total is 4.</REASONING>' },
];

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-test-model-'));
  corpusFile = path.join(root, 'corpus.jsonl');
  fs.writeFileSync(corpusFile, [...CORPUS_RECORDS.map((record) => JSON.stringify(record)), '{not json', ''].join('\n'));
  const notes = path.join(root, 'notes.txt');
  fs.writeFileSync(notes, 'First, the answer follows the reasoning.\n'.repeat(3));
  build('mha', { ...SMALL, kvHeads: 4, seed: 1 });
  build('gqa', { ...SMALL, kvHeads: 2, seed: 2 });
  build('gqa-fp16', { ...SMALL, kvHeads: 2, seed: 2, dtype: 'fp16' });
  build('gqa-external', { ...SMALL, kvHeads: 2, seed: 2, externalData: true });
  build('bigram', { kind: 'bigram', corpus: [corpusFile, notes], layers: 1, hidden: 128, heads: 2, kvHeads: 1, vocab: 400 });
});

after(async () => {
  for (const session of sessions) await session.release();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('test model decoder', () => {
  for (const name of ['mha', 'gqa']) {
    it(`decodes step by step with the KV cache what a full pass computes (${name})`, async () => {
      const session = await open(name);
      const full = await fullPass(session, name, TOKENS);
      assertClose(await cachedPass(session, name, TOKENS), full, 1e-4, name);
      // The comparison is meaningful only if positions change the logits well beyond the tolerance.
      const shifted = await forward(session, name, [TOKENS], [TOKENS.map(() => 1)], [TOKENS.map((_, i) => i + 1)]);
      assert.ok(maxDifference((shifted.logits[0] as Float32Array[])[4] as Float32Array, full[4] as Float32Array) > 1e-2);
    });
  }

  it('gives each left-padded row of a batch what the row gives alone, in the prompt and while decoding', async () => {
    const session = await open('gqa');
    const rows = [TOKENS.slice(0, 5), TOKENS.slice(5, 8)];
    const width = Math.max(...rows.map((row) => row.length));
    const ids = rows.map((row) => [...Array(width - row.length).fill(ENDOFTEXT_ID), ...row]);
    let mask = rows.map((row) => [...Array(width - row.length).fill(0), ...row.map(() => 1)]);
    let step = await forward(session, 'gqa', ids, mask, mask.map(positionsOf));
    const batched = rows.map((row, r) => (step.logits[r] as Float32Array[]).slice(width - row.length));
    const continuations = [
      [11, 12, 13],
      [21, 22, 23],
    ];
    for (let t = 0; t < 3; t++) {
      mask = mask.map((row) => [...row, 1]);
      const positions = rows.map((row) => [row.length + t]);
      step = await forward(
        session,
        'gqa',
        continuations.map((tokens) => [tokens[t] as number]),
        mask,
        positions,
        step.present,
      );
      rows.forEach((_, r) => {
        batched[r]?.push(...(step.logits[r] as Float32Array[]));
      });
    }
    for (const [r, row] of rows.entries()) {
      const alone = await fullPass(session, 'gqa', [...row, ...(continuations[r] as number[])]);
      assertClose(batched[r] as Float32Array[], alone, 1e-4, `row ${r}`);
    }
    for (const row of step.logits) for (const logits of row) assert.ok(logits.every(Number.isFinite));
  });

  it('stores fp16 weights, takes and gives float16 caches and logits, and stays close to fp32', async () => {
    assert.ok(fs.existsSync(path.join(folder('gqa-fp16'), 'onnx', 'model_fp16.onnx')));
    assert.ok(!fs.existsSync(path.join(folder('gqa-fp16'), 'onnx', 'model.onnx')));
    const half = await open('gqa-fp16', 'model_fp16.onnx');
    const types = (list: readonly ort.InferenceSession.ValueMetadata[]) =>
      Object.fromEntries(list.map((meta) => [meta.name, meta.isTensor ? meta.type : 'none']));
    const inputs = types(half.inputMetadata);
    const outputs = types(half.outputMetadata);
    assert.equal(inputs.input_ids, 'int64');
    assert.equal(inputs['past_key_values.0.key'], 'float16');
    assert.equal(inputs['past_key_values.1.value'], 'float16');
    assert.equal(outputs.logits, 'float16');
    assert.equal(outputs['present.1.key'], 'float16');
    const expected = await fullPass(await open('gqa'), 'gqa', TOKENS);
    const actual = await fullPass(half, 'gqa-fp16', TOKENS);
    const scale = Math.max(...expected.map((row) => Math.max(...row.map(Math.abs))));
    actual.forEach((row, t) => {
      assert.ok(maxDifference(row, expected[t] as Float32Array) < 5e-3 * scale, `position ${t}`);
    });
    // The cache goes through float16 in a full pass too, so cached decoding differs only by the logits' rounding.
    assertClose(await cachedPass(half, 'gqa-fp16', TOKENS), actual, 2e-3 * scale, 'fp16');
    assert.ok(
      readJson<{ 'transformers.js_config': { dtype: string } }>(path.join(folder('gqa-fp16'), 'config.json'))['transformers.js_config'].dtype === 'fp16',
    );
  });

  it('writes weights to model.onnx_data when asked, and onnxruntime loads them from the file path', async () => {
    const onnxDir = path.join(folder('gqa-external'), 'onnx');
    assert.ok(fs.statSync(path.join(onnxDir, 'model.onnx')).size < 64 * 1024);
    assert.ok(fs.statSync(path.join(onnxDir, 'model.onnx_data')).size > 100 * 1024);
    const external = await fullPass(await open('gqa-external'), 'gqa-external', TOKENS);
    const inline = await fullPass(await open('gqa'), 'gqa', TOKENS);
    external.forEach((row, t) => {
      assert.deepEqual(row, inline[t]);
    });
  });

  it('reproduces a matrix exactly through the subspace iteration when its rank fits the width', () => {
    // 40 non-empty rows (more than the width of 8) that are copies of 5 sparse patterns: rank 5.
    const rows = 40;
    const cols = 30;
    const pattern = (p: number) => [
      [p, 1 + p],
      [(p * 7 + 3) % cols, 2],
      [(p * 11 + 5) % cols, 0.5 * p],
    ];
    const start = new Int32Array(rows + 1);
    const columns: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < rows; i++) {
      for (const [column, value] of pattern(i % 5).sort((a, b) => (a[0] as number) - (b[0] as number))) {
        columns.push(column as number);
        values.push((value as number) * (1 + (i % 3)));
      }
      start[i + 1] = columns.length;
    }
    const matrix: SparseRows = { rows, cols, start, columns: Int32Array.from(columns), values: Float64Array.from(values) };
    const factors = lowRankFactors(
      matrix,
      8,
      new SeededRandom(0),
      Float64Array.from({ length: rows }, (_, i) => 1 + i),
    );
    assert.equal(factors.exact, false);
    for (let i = 0; i < rows; i++) {
      const dense = new Float64Array(cols);
      for (let e = start[i] as number; e < (start[i + 1] as number); e++) dense[columns[e] as number] += values[e] as number;
      for (let j = 0; j < cols; j++) {
        let product = 0;
        for (let k = 0; k < 8; k++) product += (factors.left[i * 8 + k] as number) * (factors.right[k * cols + j] as number);
        assert.ok(Math.abs(product - (dense[j] as number)) < 1e-4, `(${i}, ${j}): ${product} vs ${dense[j]}`);
      }
    }
  });
});

describe('test model tokenizer', () => {
  const load = (name: string) => {
    const dir = folder(name);
    return new Tokenizer(readJson<object>(path.join(dir, 'tokenizer.json')), readJson<object>(path.join(dir, 'tokenizer_config.json')));
  };

  it('has exactly the vocabulary size, with fixed ids for bytes, special tokens and stage tags', () => {
    for (const name of ['gqa', 'bigram']) {
      const tokenizer = load(name);
      const size = configOf(name).vocab_size;
      const vocab = tokenizer.get_vocab();
      assert.equal(vocab.size, size, name);
      assert.deepEqual(
        [...vocab.values()].sort((a, b) => a - b),
        Array.from({ length: size }, (_, i) => i),
        name,
      );
      assert.equal(tokenizer.token_to_id('<|endoftext|>'), 256);
      assert.equal(tokenizer.token_to_id('<|im_end|>'), IM_END_ID);
      for (const token of [...SPECIAL_TOKENS, ...STAGE_TAGS]) assert.equal(tokenizer.token_to_id(token), tokenId(token), token);
    }
    // The tiny corpus runs out of merges, so the rest of the vocabulary is reserved filler.
    assert.ok(load('bigram').token_to_id('<|reserved_0|>') !== undefined);
  });

  it('keeps stage tags as single text tokens and round-trips any text exactly', () => {
    const tokenizer = load('bigram');
    for (const tag of STAGE_TAGS) {
      const { ids } = tokenizer.encode(`a${tag}b`, { add_special_tokens: false });
      assert.equal(ids.filter((id) => id === tokenId(tag)).length, 1, tag);
      assert.equal(tokenizer.decode(ids, { skip_special_tokens: true }), `a${tag}b`, 'tags are not special');
    }
    const samples = [
      '### Step 1\nThe area is $\\frac{1}{2} b h = \\sqrt{x^2}$.\n\n',
      'Unicode: naïve café, 日本語, emoji 🍎🍐, tabs\tand  double  spaces ',
      "<SUMMARY>it's</SUMMARY>\r\n<|im_start|>user\nhi<|im_end|>\n",
      ' leading space and trailing newline\n',
    ];
    for (const text of samples) {
      const { ids } = tokenizer.encode(text, { add_special_tokens: false });
      assert.equal(tokenizer.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false }), text);
    }
  });

  it('renders ChatML with the generation prompt', () => {
    const config = readJson<{ chat_template: string; eos_token: string; pad_token: string }>(path.join(folder('gqa'), 'tokenizer_config.json'));
    assert.equal(config.eos_token, '<|im_end|>');
    assert.equal(config.pad_token, '<|endoftext|>');
    const rendered = new Template(config.chat_template).render({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'How many?' }] },
      ],
      add_generation_prompt: true,
    });
    assert.equal(rendered, '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n<image>How many?<|im_end|>\n<|im_start|>assistant\n');
  });

  it('refuses a vocabulary too small for the bytes and special tokens, naming the minimum', () => {
    const result = testModelOptionsSchema.safeParse({ kind: 'random', vocab: MIN_VOCAB - 1 });
    assert.equal(result.success, false);
    assert.match(result.error?.issues[0]?.message ?? '', new RegExp(`at least ${MIN_VOCAB}`));
    assert.ok(testModelOptionsSchema.safeParse({ kind: 'random', vocab: MIN_VOCAB }).success);
  });
});

describe('bigram test model', () => {
  it('continues a stage tag with the token that most often follows it in the corpus', async () => {
    const tokenizer = new Tokenizer(
      readJson<object>(path.join(folder('bigram'), 'tokenizer.json')),
      readJson<object>(path.join(folder('bigram'), 'tokenizer_config.json')),
    );
    const reasoning = tokenId('<REASONING>');
    // The corpus's answers are its only texts with the tag; each is a document of its own.
    const texts = CORPUS_RECORDS.map((record) => record.answer ?? record.messages?.[0]?.content ?? '');
    const followers = new Map<number, number>();
    for (const text of texts) {
      const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
      const next = ids[ids.indexOf(reasoning) + 1] as number;
      followers.set(next, (followers.get(next) ?? 0) + 1);
    }
    const expected = [...followers.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] as number;
    assert.ok('First'.startsWith(tokenizer.decode([expected])));
    assert.equal(configOf('bigram').cot_studio.exactBigrams, true);
    const session = await open('bigram');
    const prompt = tokenizer.encode('Question: how many?<REASONING>', { add_special_tokens: false }).ids;
    const logits = await fullPass(session, 'bigram', prompt);
    assert.equal(argmax(logits.at(-1) as Float32Array), expected);
  });
});

describe('transformers.js', () => {
  it('loads the folder, tokenizes alike, and its greedy generate() on a left-padded batch gives the tokens of a bare loop', async () => {
    const { AutoModelForCausalLM, AutoTokenizer } = await transformersOn(root);
    const prompts = ['<|im_start|>user\nHow many apples?<|im_end|>\n<|im_start|>assistant\n<REASONING>', 'Count: 1, 2,'];
    const ours = new Tokenizer(
      readJson<object>(path.join(folder('gqa'), 'tokenizer.json')),
      readJson<object>(path.join(folder('gqa'), 'tokenizer_config.json')),
    );
    const session = await open('gqa');
    const steps = 10;
    const expected: number[][] = [];
    for (const prompt of prompts) {
      const sequence = ours.encode(prompt, { add_special_tokens: false }).ids;
      for (let step = 0; step < steps; step++) sequence.push(argmax((await fullPass(session, 'gqa', sequence)).at(-1) as Float32Array));
      expected.push(sequence);
    }

    const tokenizer = await AutoTokenizer.from_pretrained('gqa');
    const inputs = tokenizer(prompts, { padding: true });
    const mask = inputs.attention_mask.tolist() as bigint[][];
    assert.equal(mask[1]?.[0], 0n, 'the shorter prompt is padded on the left');
    for (const name of ['gqa', 'gqa-external']) {
      const model = await AutoModelForCausalLM.from_pretrained(name, { device: 'cpu' });
      // No end-of-sequence stop, so both rows run the full number of steps.
      const output = await model.generate({ ...inputs, max_new_tokens: steps, do_sample: false, eos_token_id: [] });
      const rows = (output as { tolist(): bigint[][] }).tolist();
      rows.forEach((row, r) => {
        const kept = row.filter((_, i) => i >= (mask[r]?.length ?? 0) || mask[r]?.[i] === 1n).map(Number);
        assert.deepEqual(kept, expected[r], `${name}, row ${r}`);
      });
      await model.dispose();
    }
  });
});

describe('cot-studio make-test-model', () => {
  const run = (...args: string[]) => runCli('make-test-model', ...args);

  it('writes a complete folder and says what it wrote', async () => {
    const dir = path.join(root, 'cli-bigram');
    const { code, stdout } = await run(dir, '--kind', 'bigram', '--corpus', corpusFile, '--vocab', '300', '--hidden', '32', '--layers', '1', '--dtype', 'fp16');
    assert.equal(code, 0);
    for (const file of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_fp16.onnx']) {
      assert.ok(fs.existsSync(path.join(dir, file)), file);
    }
    assert.match(stdout, new RegExp(`${dir.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}: bigram decoder`));
    assert.match(stdout, /parameters {2}[\d,]+/);
    assert.match(stdout, /onnx\/model_fp16\.onnx {2}[\d.]+ [KM]?B/);
  });

  it('refuses bad options with exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--kind', 'random', '--hidden', '30', '--heads', '4'], /--hidden: hidden \(30\) must be a multiple of heads \(4\)/],
      [['--kind', 'random', '--heads', '4', '--kv-heads', '3'], /--kv-heads: heads \(4\) must be a multiple of kv-heads \(3\)/],
      [['--kind', 'random', '--vocab', '100'], /--vocab: vocab must be at least 272/],
      [['--kind', 'bigram'], /--corpus: a bigram model needs at least one corpus file/],
      [['--kind', 'random', '--layers', 'two'], /--layers expects a number/],
      [['--kind', 'unigram'], /--kind/],
      [['--kind', 'random', '--corpus', path.join(root, 'missing.txt')], /cannot read corpus/],
      [['--kind', 'random', '--colour', 'blue'], /colour/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await run(path.join(root, 'cli-refused'), ...args);
      assert.equal(code, 2, args.join(' '));
      assert.match(stderr, message);
    }
    assert.ok(!fs.existsSync(path.join(root, 'cli-refused')));
  });
});
