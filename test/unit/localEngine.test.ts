import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { EngineClient } from '../../src/engineClient';
import { LocalEngine } from '../../src/engine/localEngine';
import { ModelFolderError } from '../../src/engine/model/folder';
import { buildProbeModel } from '../../src/engine/probe';
import type { GenerationRequest } from '../../src/protocol';
import { makeTestModel } from '../../src/testModel';
import { datasetsDir, projectRoot } from '../harness/fixtures';
import { transformersOn } from '../harness/transformersJs';

const execute = promisify(execFile);
const cli = path.join(projectRoot, 'dist', 'cli.js');
const corpus = ['llava_cot.jsonl', 'mulberry.jsonl', 'r1vl.jsonl'].map((name) => path.join(datasetsDir, name));
const PROMPT = 'Question: how many apples are left? <REASONING> The basket had';

let root: string;
let randomDir: string;
let fp16Dir: string;
let bigramDir: string;
const engines: LocalEngine[] = [];

async function load(dir: string, prefixCacheBytes = 0): Promise<LocalEngine> {
  const engine = await LocalEngine.load(dir, { provider: 'cpu', prefixCacheBytes });
  engines.push(engine);
  return engine;
}

/** Greedy decoding without a KV cache: the whole sequence through the model at every step. */
async function fullRecompute(dir: string, prompt: number[], steps: number): Promise<{ tokens: number[]; logits: Float32Array[] }> {
  const session = await ort.InferenceSession.create(path.join(dir, 'onnx', 'model.onnx'), { executionProviders: ['cpu'] });
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as {
    num_hidden_layers: number;
    num_key_value_heads: number;
    head_dim: number;
  };
  const sequence = [...prompt];
  const tokens: number[] = [];
  const logits: Float32Array[] = [];
  for (let step = 0; step < steps; step++) {
    const length = sequence.length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(sequence.map(BigInt)), [1, length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(length).fill(1n), [1, length]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(sequence.map((_, i) => BigInt(i))), [1, length]),
    };
    for (let layer = 0; layer < config.num_hidden_layers; layer++) {
      for (const kind of ['key', 'value']) {
        feeds[`past_key_values.${layer}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, config.num_key_value_heads, 0, config.head_dim]);
      }
    }
    const output = await session.run(feeds);
    const data = output.logits?.data as Float32Array;
    const vocab = data.length / length;
    const last = data.slice((length - 1) * vocab, length * vocab);
    logits.push(last);
    let best = 0;
    for (let i = 1; i < vocab; i++) if ((last[i] as number) > (last[best] as number)) best = i;
    tokens.push(best);
    sequence.push(best);
  }
  await session.release();
  return { tokens, logits };
}

const greedy = (maxTokens: number, extra: Partial<NonNullable<GenerationRequest['sampling']>> = {}): GenerationRequest['sampling'] => ({
  temperature: 0,
  maxTokens,
  ignoreEos: true,
  ...extra,
});

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-engine-'));
  randomDir = path.join(root, 'random');
  fp16Dir = path.join(root, 'random-fp16');
  bigramDir = path.join(root, 'bigram');
  // Larger weights than a trained model's init, so logits differ enough for greedy choices to be stable.
  makeTestModel(randomDir, { kind: 'random', layers: 2, hidden: 64, heads: 4, kvHeads: 2, vocab: 512, seed: 3, initStd: 0.2 });
  makeTestModel(fp16Dir, { kind: 'random', layers: 2, hidden: 64, heads: 4, kvHeads: 2, vocab: 512, seed: 3, initStd: 0.2, dtype: 'fp16' });
  makeTestModel(bigramDir, { kind: 'bigram', corpus, hidden: 256, vocab: 600 });
});

after(async () => {
  for (const engine of engines) await engine.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('local engine decoding', () => {
  it('decodes with the KV cache what a full recompute gives (logits within 1e-4, same greedy tokens)', async () => {
    const engine = await load(randomDir);
    const request = { prompt: { text: PROMPT }, sampling: greedy(24) };
    const result = await engine.generate(request);
    const reference = await fullRecompute(randomDir, result.promptTokens, 24);
    const candidate = result.candidates[0];
    assert.ok(candidate);
    assert.deepEqual(candidate.tokens, reference.tokens);
    // The reported log-probabilities come from the cached logits; compare them with the full pass's.
    candidate.tokenLogprobs.forEach((logprob, i) => {
      const row = reference.logits[i] as Float32Array;
      const max = Math.max(...row);
      const expected = (row[reference.tokens[i] as number] as number) - max - Math.log(row.reduce((sum, value) => sum + Math.exp(value - max), 0));
      assert.ok(Math.abs(logprob - expected) < 1e-4, `token ${i}: ${logprob} vs ${expected}`);
    });
  });

  it('gives a batch of N the candidates N single runs give with seeds seed+i', async () => {
    const engine = await load(randomDir);
    const sampling = { temperature: 1, topK: 50, maxTokens: 16, ignoreEos: true, seed: 42 };
    const batch = await engine.generate({ prompt: { text: PROMPT }, sampling: { ...sampling, n: 4 } });
    for (let i = 0; i < 4; i++) {
      const single = await engine.generate({ prompt: { text: PROMPT }, sampling: { ...sampling, n: 1, seed: 42 + i } });
      assert.deepEqual(single.candidates[0]?.tokens, batch.candidates[i]?.tokens, `candidate ${i}`);
      assert.ok(Math.abs((single.candidates[0]?.logprob ?? 0) - (batch.candidates[i]?.logprob ?? 1)) < 1e-3);
    }
    assert.equal(new Set(batch.candidates.map((candidate) => candidate.text)).size, 4, 'different seeds, different candidates');
  });

  it('resumes from the prefix cache with the results of a cold run, computing only what is new', async () => {
    const cold = await load(randomDir, 0);
    const warm = await load(randomDir, 64 * 1024 * 1024);
    const sampling = { temperature: 0.8, maxTokens: 12, ignoreEos: true, seed: 5, n: 3 };
    const first = await warm.generate({ prompt: { text: PROMPT }, sampling });
    // A follow-up that continues the prompt with the first candidate, as "regenerate the rest" does.
    const followUp = { prompt: { text: `${PROMPT + (first.candidates[0]?.text ?? '')} so` }, sampling };
    const warmResult = await warm.generate(followUp);
    const coldResult = await cold.generate(followUp);
    assert.deepEqual(
      warmResult.candidates.map((candidate) => candidate.tokens),
      coldResult.candidates.map((candidate) => candidate.tokens),
    );
    const generated = coldResult.candidates.reduce((sum, candidate) => sum + candidate.tokens.length, 0);
    assert.ok(coldResult.tokensComputed >= coldResult.promptTokens.length, 'a cold run computes the whole prompt');
    assert.ok(
      warmResult.tokensComputed < coldResult.tokensComputed - first.promptTokens.length + 2,
      `warm ${warmResult.tokensComputed} vs cold ${coldResult.tokensComputed}`,
    );
    assert.ok(warmResult.tokensComputed <= generated + (warmResult.promptTokens.length - first.promptTokens.length) + 2);
    const again = await warm.generate({ prompt: { text: PROMPT }, sampling });
    assert.deepEqual(
      again.candidates.map((candidate) => candidate.tokens),
      first.candidates.map((candidate) => candidate.tokens),
    );
    assert.equal(again.tokensComputed - (again.candidates.reduce((sum, c) => sum + c.tokens.length, 0) - 3), 1, 'the cached prompt costs one token');
  });

  it('cuts at a stop string exactly where it begins in the text', async () => {
    const engine = await load(bigramDir);
    const free = await engine.generate({ prompt: { text: '<REASONING>' }, sampling: greedy(60) });
    const text = free.candidates[0]?.text ?? '';
    const words = text.split(' ').filter((word) => word.length > 3);
    const stop = words[Math.floor(words.length / 2)];
    assert.ok(stop, `the bigram model wrote words: ${JSON.stringify(text)}`);
    const stopped = await engine.generate({ prompt: { text: '<REASONING>' }, sampling: greedy(60, { stop: [stop] }) });
    const candidate = stopped.candidates[0];
    assert.equal(candidate?.finishReason, 'stop');
    assert.equal(candidate?.stopString, stop);
    assert.equal(candidate?.text, text.slice(0, text.indexOf(stop)));
    assert.ok(engine.tokenizer.decode(candidate?.tokens ?? []).length <= (candidate?.text.length ?? 0));
  });

  it('generates text that looks like the corpus from the bigram model, and stops at EOS', async () => {
    const engine = await load(bigramDir);
    const result = await engine.generate({ prompt: { text: '<SUMMARY>' }, sampling: { temperature: 0.7, maxTokens: 200, seed: 1, n: 4 } });
    const corpusText = corpus.map((file) => fs.readFileSync(file, 'utf8')).join('\n');
    for (const candidate of result.candidates) {
      const words = candidate.text.split(/\s+/).filter((word) => /^[a-z]{4,}$/.test(word));
      const known = words.filter((word) => corpusText.includes(word));
      assert.ok(words.length === 0 || known.length / words.length > 0.8, `mostly corpus words: ${candidate.text}`);
    }
    assert.ok(
      result.candidates.some((candidate) => candidate.finishReason === 'eos'),
      'documents end with <|im_end|>, so some candidates do too',
    );
  });

  it('streams every candidate text piece by piece', async () => {
    const engine = await load(bigramDir);
    const pieces = new Map<number, string>();
    const result = await engine.generate(
      { prompt: { text: '<CAPTION>' }, sampling: { n: 3, maxTokens: 40, seed: 9, stop: ['</CAPTION>'] } },
      { onToken: ({ candidate, text }) => pieces.set(candidate, (pieces.get(candidate) ?? '') + text) },
    );
    result.candidates.forEach((candidate, i) => {
      assert.equal(pieces.get(i) ?? '', candidate.text);
    });
  });

  it('stops between model calls when aborted and returns what it has', async () => {
    const engine = await load(randomDir);
    const controller = new AbortController();
    let seen = 0;
    const result = await engine.generate(
      { prompt: { text: PROMPT }, sampling: { n: 2, maxTokens: 2000, ignoreEos: true, seed: 1 } },
      {
        signal: controller.signal,
        onToken: () => {
          if (++seen === 10) controller.abort();
        },
      },
    );
    for (const candidate of result.candidates) {
      assert.equal(candidate.finishReason, 'cancelled');
      assert.ok(candidate.tokens.length < 100);
    }
  });

  it('loads fp16 exports, reading dtypes from the session, with fp32 greedy tokens', async () => {
    const fp32 = await load(randomDir);
    const fp16 = await load(fp16Dir);
    assert.equal(fp16.shape.kvType, 'float16');
    assert.equal(fp16.folder.variant, 'fp16');
    const request = { prompt: { text: PROMPT }, sampling: greedy(8) };
    const [a, b] = [await fp32.generate(request), await fp16.generate(request)];
    assert.deepEqual(b.candidates[0]?.tokens.slice(0, 4), a.candidates[0]?.tokens.slice(0, 4));
    assert.ok(Math.abs((a.candidates[0]?.tokenLogprobs[0] ?? 0) - (b.candidates[0]?.tokenLogprobs[0] ?? 1)) < 0.05);
  });

  it('renders chat prompts with the model template and continues an assistant prefix', async () => {
    const engine = await load(bigramDir);
    const messages = [
      { role: 'user' as const, content: 'How many apples?' },
      { role: 'assistant' as const, content: '<SUMMARY> I will count' },
    ];
    const text = engine.tokenizer.render({ messages, continueFinal: true });
    assert.equal(text, '<|im_start|>user\nHow many apples?<|im_end|>\n<|im_start|>assistant\n<SUMMARY> I will count');
    const open = engine.tokenizer.render({ messages: messages.slice(0, 1), continueFinal: false });
    assert.equal(open, '<|im_start|>user\nHow many apples?<|im_end|>\n<|im_start|>assistant\n');
    const result = await engine.generate({ prompt: { messages, continueFinal: true }, sampling: greedy(5) });
    assert.deepEqual(result.promptTokens, engine.tokenizer.encode(text));
  });

  it('decodes the greedy tokens transformers.js decodes on the same model', async () => {
    const engine = await load(randomDir);
    const steps = 20;
    const ours = await engine.generate({ prompt: { text: PROMPT }, sampling: greedy(steps) });
    const { AutoModelForCausalLM, Tensor } = await transformersOn(root);
    const model = await AutoModelForCausalLM.from_pretrained(path.basename(randomDir), { device: 'cpu', dtype: 'fp32' });
    const ids = ours.promptTokens;
    const output = await model.generate({
      input_ids: new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
      attention_mask: new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
      max_new_tokens: steps,
      do_sample: false,
      eos_token_id: [],
    });
    const theirs = ((output as { tolist(): bigint[][] }).tolist()[0] ?? []).slice(ids.length).map(Number);
    assert.deepEqual(ours.candidates[0]?.tokens, theirs);
    await model.dispose();
  });

  it('counts tokens computed per token kept when 8 candidates share a prompt', async () => {
    const engine = await load(randomDir, 64 * 1024 * 1024);
    const result = await engine.generate({ prompt: { text: PROMPT }, sampling: { n: 8, maxTokens: 32, ignoreEos: true, seed: 2 } });
    const kept = result.promptTokens.length + result.candidates.reduce((sum, candidate) => sum + candidate.tokens.length, 0);
    // Each candidate's last token is drawn but never fed back; everything else is computed once.
    assert.equal(result.tokensComputed, kept - 8);
  });
});

describe('model folders', () => {
  const broken = (name: string, change: (dir: string) => void): string => {
    const dir = path.join(root, name);
    fs.cpSync(randomDir, dir, { recursive: true });
    change(dir);
    return dir;
  };

  it('names what was expected and what was found', async () => {
    const cases: Array<[string, (dir: string) => void, RegExp]> = [
      ['no-config', (dir) => fs.rmSync(path.join(dir, 'config.json')), /expected config\.json .*found .*tokenizer\.json/],
      ['no-onnx', (dir) => fs.rmSync(path.join(dir, 'onnx'), { recursive: true }), /expected an onnx\/ folder with model\.onnx, found/],
      [
        'wrong-file',
        (dir) => fs.renameSync(path.join(dir, 'onnx', 'model.onnx'), path.join(dir, 'onnx', 'decoder.onnx')),
        /expected model\.onnx or model_fp16\.onnx.*found decoder\.onnx/,
      ],
      ['bad-config', (dir) => fs.writeFileSync(path.join(dir, 'config.json'), '{"num_hidden_layers": "two"}'), /config\.json: field 'num_hidden_layers'/],
      ['bad-json', (dir) => fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{'), /tokenizer\.json: expected a tokenizers\.json with a model as JSON/],
      [
        'no-cache',
        (dir) => fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), buildProbeModel()),
        /expected a decoder with input 'input_ids', found inputs x/,
      ],
      ['not-onnx', (dir) => fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), 'not a model'), /no execution provider could load the model \(cpu: /],
    ];
    for (const [name, change, message] of cases) {
      await assert.rejects(LocalEngine.load(broken(name, change), { provider: 'cpu' }), (error: Error) => {
        assert.ok(error instanceof ModelFolderError, `${name}: ${error.message}`);
        assert.match(error.message, message, name);
        return true;
      });
    }
    await assert.rejects(LocalEngine.load(path.join(root, 'nowhere')), /expected a model folder .* found nothing/);
  });
});

describe('engine process', () => {
  it('loads, streams and generates; a killed process fails its requests and the next request restarts it', async () => {
    const logs: string[] = [];
    const client = new EngineClient(path.join(projectRoot, 'dist', 'engine.js'), (line) => logs.push(line));
    try {
      const loaded = await client.request('load', { model: randomDir, provider: 'cpu' });
      assert.equal(loaded.provider, 'cpu');
      assert.equal(loaded.layers, 2);
      let streamed = '';
      const result = await client.request('generate', { prompt: { text: PROMPT }, sampling: greedy(10) }, { onToken: ({ text }) => (streamed += text) });
      assert.equal(streamed, result.candidates[0]?.text);

      const running = client.request(
        'generate',
        { prompt: { text: PROMPT }, sampling: { maxTokens: 2000, ignoreEos: true } },
        {
          onToken: () => process.kill(client.processId ?? 0, 'SIGKILL'),
        },
      );
      await assert.rejects(running, /the engine process stopped \(signal SIGKILL\)/);
      assert.ok(logs.some((line) => /stopped \(signal SIGKILL\); it restarts on the next request/.test(line)));
      await assert.rejects(client.request('generate', { prompt: { text: PROMPT } }), /no model is loaded/);
      await client.request('load', { model: randomDir, provider: 'cpu' });
      const after = await client.request('generate', { prompt: { text: PROMPT }, sampling: greedy(10) });
      assert.deepEqual(after.candidates[0]?.tokens, result.candidates[0]?.tokens);

      const controller = new AbortController();
      const cancelled = await client.request(
        'generate',
        { prompt: { text: PROMPT }, sampling: { maxTokens: 2000, ignoreEos: true } },
        {
          signal: controller.signal,
          onToken: () => controller.abort(),
        },
      );
      assert.equal(cancelled.candidates[0]?.finishReason, 'cancelled');
    } finally {
      client.dispose();
    }
  });
});

describe('cot-studio generate', () => {
  it('prints prompt tokens, candidates, the provider and timing as JSON', async () => {
    const { stdout } = await execute(process.execPath, [
      cli,
      'generate',
      '--model',
      bigramDir,
      '--prompt',
      'How many apples?',
      '--chat',
      '--n',
      '2',
      '--max-tokens',
      '12',
      '--seed',
      '4',
      '--stop',
      '</SUMMARY>',
      '--json',
      '--provider',
      'cpu',
    ]);
    const output = JSON.parse(stdout) as {
      promptTokens: number[];
      candidates: Array<{ text: string; tokens: number[]; logprob: number; finishReason: string }>;
      ep: string;
      timing: { loadMs: number; generateMs: number };
    };
    assert.equal(output.ep, 'cpu');
    assert.equal(output.candidates.length, 2);
    assert.ok(output.promptTokens.length > 5);
    for (const candidate of output.candidates) {
      assert.ok(candidate.logprob < 0);
      assert.ok(['stop', 'eos', 'length'].includes(candidate.finishReason));
      assert.ok(candidate.tokens.length <= 12);
    }
    assert.ok(output.timing.loadMs > 0 && output.timing.generateMs > 0);
  });

  it('refuses bad options with exit code 2, naming the option', async () => {
    await assert.rejects(
      execute(process.execPath, [cli, 'generate', '--model', bigramDir, '--prompt', 'x', '--top-p', '2']),
      (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 2);
        assert.match(error.stderr, /--top-p/);
        return true;
      },
    );
    await assert.rejects(execute(process.execPath, [cli, 'generate', '--prompt', 'x']), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /--model DIR is required/);
      return true;
    });
  });
});
