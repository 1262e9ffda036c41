import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Backend, GenerateOptions, GenerationRequest } from '../../src/backends/types';
import { ImageResolver } from '../../src/dataset/images';
import { applyOperation, readRecordState } from '../../src/dataset/operations';
import type { ParsedRecord } from '../../src/dataset/record';
import { LocalEngine } from '../../src/engine/localEngine';
import { exportRecord, readExportInput } from '../../src/export';
import { correctnessPairs, firstHalfOfWords, pairSettingsSchema, pairSummarySchema, type PairJob, recordPairs, statesAnswer } from '../../src/preferencePairs';
import type { GenerationResult } from '../../src/protocol';
import { extractAnswer } from '../../src/rewards';
import { type RunningServer, startServer } from '../../src/serve';
import { makeTestModel } from '../../src/testModel';
import { runCli } from '../harness/cli';
import { datasetsDir, makeWorkspace } from '../harness/fixtures';

const linesOf = (name: string): string[] => fs.readFileSync(path.join(datasetsDir, name), 'utf8').split('\n');
const record = (line: string): ParsedRecord => readRecordState(line).parsed;
const context = { at: '2026-11-24T00:00:00.000Z', reflectionPhrase: 'I think I have made a mistake. Let me rethink it.' };
const words = (text: string): string[] => text.split(/\s+/).filter((word) => word !== '');

describe('correctness pairs', () => {
  it('split responses into correct, wrong and format-negative pools and pair correct with the rest', () => {
    const correct = 'x^2 = 36 + 64 = 100.\nFinal answer: 10';
    const wrong = 'x = 6 + 8.\nFinal answer: 14';
    const noAnswer = 'The triangle has a right angle.\nSo x is the hypotenuse.';
    const { pairs, counts } = correctnessPairs('10', [correct, wrong, noAnswer, correct, '  '], { maxPairs: 15, seed: 1 });
    assert.deepEqual(counts, { correct: 1, wrong: 1, formatNegatives: 1, duplicates: 1, blank: 1, skippedByGuard: 0, capped: 0 });
    assert.deepEqual(pairs, [
      { chosen: correct, rejected: wrong },
      { chosen: correct, rejected: noAnswer },
    ]);
  });

  it('skip a pair whose chosen answer is part of the rejected one, but pair format negatives that mention it', () => {
    const { pairs, counts } = correctnessPairs('5', ['Final answer: 5', 'Final answer: 15', 'Final answer: 7', 'It could be 15 or 5\nI cannot tell'], {
      maxPairs: 15,
      seed: 1,
    });
    assert.equal(counts.skippedByGuard, 1, '"5" is in "15"');
    assert.deepEqual(
      pairs.map((pair) => pair.rejected),
      ['Final answer: 7', 'It could be 15 or 5\nI cannot tell'],
    );
  });

  it('read answers as MPO does: letters, numbers with units, boxed', () => {
    const { counts } = correctnessPairs('B', ['The answer is (B).', 'Final answer: **C**', '\\boxed{B}'], { maxPairs: 15, seed: 1 });
    assert.equal(counts.correct, 2);
    assert.equal(counts.wrong, 1);
    assert.equal(correctnessPairs('24', ['Final answer: 24 cm^2', 'Final answer: 48 cm^2'], { maxPairs: 15, seed: 1 }).pairs.length, 1);
  });

  it('call a response unparseable when no marker states its answer', () => {
    const parseable = [
      'Final answer: 10',
      'so \\boxed{10}',
      '<think>…</think><answer>10</answer>',
      '<CONCLUSION> 10 </CONCLUSION>',
      '### Step 1:\nx = 10\n\n### The final answer is:\nB: 10',
      '2022',
    ];
    const unparseable = ['I computed it.\nIt is ten.', '### Step 1:\nx^2 = 100\n\n### Step 2:\nx = 10', '<answer></answer>', '\\boxed{}'];
    for (const text of parseable) assert.equal(statesAnswer(text, extractAnswer(text)), true, text);
    for (const text of unparseable) assert.equal(statesAnswer(text, extractAnswer(text)), false, text);
  });

  it('cap the pairs per question with the seed: the same seed picks the same pairs', () => {
    const responses = Array.from({ length: 6 }, (_, i) => [`Attempt ${i}.\nFinal answer: 10`, `Attempt ${i}.\nFinal answer: ${20 + i}`]).flat();
    const first = correctnessPairs('10', responses, { maxPairs: 15, seed: 7 });
    assert.equal(first.pairs.length, 15);
    assert.equal(first.counts.capped, 36 - 15);
    assert.deepEqual(correctnessPairs('10', responses, { maxPairs: 15, seed: 7 }).pairs, first.pairs);
    assert.notDeepEqual(correctnessPairs('10', responses, { maxPairs: 15, seed: 8 }).pairs, first.pairs);
    const all = correctnessPairs('10', responses, { maxPairs: 100, seed: 7 }).pairs;
    const key = (pair: { chosen: string; rejected: string }) => JSON.stringify(pair);
    assert.equal(new Set(first.pairs.map(key)).size, 15, 'no pair twice');
    const order = first.pairs.map((pair) => all.findIndex((candidate) => key(candidate) === key(pair)));
    assert.ok(
      order.every((index, i) => index >= 0 && (i === 0 || index > (order[i - 1] ?? -1))),
      'a subset, in the order the pairs were made',
    );
  });

  it('make no pair without a correct or without a rejected answer', () => {
    assert.deepEqual(correctnessPairs('10', ['Final answer: 12', 'Final answer: 14'], { maxPairs: 15, seed: 1 }).pairs, []);
    assert.deepEqual(correctnessPairs('10', ['Final answer: 10', 'x = 10\nFinal answer: 10'], { maxPairs: 15, seed: 1 }).pairs, []);
  });
});

describe('continuing without the image', () => {
  it('keeps the first half of the words as written', () => {
    assert.equal(firstHalfOfWords('one two three four five'), 'one two');
    assert.equal(firstHalfOfWords('<SUMMARY> I will\n\nread it </SUMMARY>'), '<SUMMARY> I will');
    assert.equal(firstHalfOfWords('alone'), null);
  });
});

/** Passes requests on to the real engine and keeps them, to see what the model was sent. */
class Recording implements Backend {
  readonly requests: GenerationRequest[] = [];
  readonly name: string;

  constructor(private readonly inner: Backend) {
    this.name = inner.name;
  }

  generate(request: GenerationRequest, options?: GenerateOptions): Promise<GenerationResult> {
    this.requests.push(request);
    return this.inner.generate(request, options);
  }

  dispose(): Promise<void> {
    return Promise.resolve();
  }
}

describe('pairs with the bigram model', () => {
  let workspace: string;
  let modelDir: string;
  let engine: LocalEngine;

  before(async () => {
    workspace = makeWorkspace('cot-studio-pairs-');
    modelDir = path.join(workspace, 'model');
    makeTestModel(modelDir, {
      kind: 'bigram',
      corpus: ['llava_cot.jsonl', 'mulberry.jsonl'].map((name) => path.join(datasetsDir, name)),
      hidden: 256,
      vocab: 700,
    });
    engine = await LocalEngine.load(modelDir, { provider: 'cpu' });
  });

  after(async () => {
    await engine.dispose();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('rejects the response continued from its first half without the image', async () => {
    const backend = new Recording(engine);
    const job: PairJob = { backend, settings: pairSettingsSchema.parse({ withoutImage: true, maxTokens: 60 }), images: new ImageResolver(datasetsDir) };
    const parsed = record(linesOf('llava_cot.jsonl')[0] as string);
    const chosen = parsed.responses[0]?.text ?? '';
    let outcome = await recordPairs(job, parsed, 1, context.at);
    // The bigram model may end at once; another seed then writes something.
    for (let seed = 2; seed <= 5 && outcome.kind === 'skipped'; seed++) outcome = await recordPairs(job, parsed, seed, context.at);
    assert.equal(outcome.kind, 'without-image');
    const [pair] = 'pairs' in outcome ? outcome.pairs : [];
    assert.ok(pair);
    assert.equal(pair.chosen, chosen);
    const half = words(chosen).slice(0, Math.floor(words(chosen).length / 2));
    assert.deepEqual(words(pair.rejected).slice(0, half.length), half, 'the rejected starts with the first 50% of the words');
    assert.notEqual(pair.rejected, chosen);
    assert.equal(pair.origin, 'mpo-without-image');
    assert.equal(pair.provenance?.method, 'mpo-without-image');
    assert.equal(pair.provenance?.model, 'model');
    assert.equal(pair.provenance?.parameters?.images, `${parsed.images.join(', ')} (not shown: continued without the image)`);
    const request = backend.requests.at(-1);
    assert.ok(request && 'messages' in request.prompt);
    assert.equal(request.images, undefined, 'no image was sent');
    assert.equal(request.prompt.continueFinal, true);
    const [user, assistant] = request.prompt.messages;
    assert.doesNotMatch(user?.content ?? '', /<image>/);
    assert.equal(pair.rejected.startsWith(assistant?.content ?? '\u0000'), true);
  });

  it('samples N responses at once for a question with a ground truth, with its image', async () => {
    const backend = new Recording(engine);
    const job: PairJob = { backend, settings: pairSettingsSchema.parse({ samples: 4, maxTokens: 30 }), images: new ImageResolver(datasetsDir) };
    const outcome = await recordPairs(job, record(linesOf('r1vl.jsonl')[0] as string), 3, context.at);
    assert.equal(outcome.kind, 'correctness');
    assert.equal('samples' in outcome && outcome.samples, 4);
    const [request] = backend.requests;
    assert.equal(request?.sampling?.n, 4);
    assert.equal(request?.sampling?.temperature, 0.7);
    assert.deepEqual(request?.images, [`data:image/png;base64,${fs.readFileSync(path.join(datasetsDir, 'images', 'triangle.png')).toString('base64')}`]);
  });

  it('skips records without a ground truth unless asked, and says why', async () => {
    const job: PairJob = { backend: engine, settings: pairSettingsSchema.parse({}), images: new ImageResolver(datasetsDir) };
    assert.deepEqual(await recordPairs(job, record(linesOf('llava_cot.jsonl')[0] as string), 1, context.at), { kind: 'skipped', reason: 'no-ground-truth' });
  });
});

describe('pairs as annotations', () => {
  const provenance = { source: 'model' as const, backend: 'local:m', model: 'm', method: 'mpo-correctness', seed: 4, createdAt: context.at };
  const pairs = [{ level: 'response' as const, chosen: 'Final answer: 10', rejected: 'Final answer: 14', origin: 'mpo-correctness' as const, provenance }];

  it('adds a record’s pairs as one edit, once, even to a record without a response', () => {
    const line = linesOf('r1vl.jsonl')[0] as string;
    const { text, label } = applyOperation(line, { kind: 'addPreferencePairs', line: 1, pairs }, context);
    assert.equal(label, 'Add a preference pair');
    const stored = readRecordState(text).annotations.preferencePairs;
    assert.deepEqual(stored, [{ ...pairs[0], createdAt: context.at }]);
    assert.equal(applyOperation(text, { kind: 'addPreferencePairs', line: 1, pairs }, context).text, text, 'the same pair is not added twice');
    assert.throws(
      () => applyOperation(line, { kind: 'addPreferencePairs', line: 1, pairs: [{ ...pairs[0], rejected: pairs[0].chosen }] }, context),
      /same text/,
    );
  });

  it('exports the pairs of a record without a response to preference formats only', () => {
    const text = applyOperation(linesOf('r1vl.jsonl')[0] as string, { kind: 'addPreferencePairs', line: 1, pairs }, context).text;
    const input = readExportInput(text, 1);
    assert.ok(!('refusal' in input));
    const options = {
      datasetDir: datasetsDir,
      imageRoots: [],
      outputPath: path.join(datasetsDir, 'out.jsonl'),
      neutralLabel: true,
      mcThreshold: 0,
      keepIncorrect: false,
      includeRejected: false,
      shortestCorrect: false,
    };
    assert.deepEqual(exportRecord('mmpr', input, options), {
      lines: [{ image: 'images/triangle.png', question: 'Find x.', chosen: 'Final answer: 10', rejected: 'Final answer: 14' }],
    });
    assert.match(JSON.stringify(exportRecord('trl-sft', input, options)), /needs a response/);
  });
});

/**
 * Stands in for a sampling model over the product's own OpenAI-compatible server: it answers the triangle
 * question right, wrong and without an answer, and continues a prefix with made-up sales; it keeps whether each
 * request carried an image.
 */
class ScriptedSampler implements Backend {
  readonly name = 'scripted-sampler';
  readonly seen: Array<{ continuing: boolean; images: number }> = [];

  async generate(request: GenerationRequest): Promise<GenerationResult> {
    const continuing = 'messages' in request.prompt && request.prompt.continueFinal === true;
    this.seen.push({ continuing, images: request.images?.length ?? 0 });
    const n = request.sampling?.n ?? 1;
    const answers = [
      '6^2 + 8^2 = 100.\nFinal answer: 10',
      'x = 6 + 8.\nFinal answer: 14',
      'x = 10 * 10.\nFinal answer: 100',
      'It is a right triangle.\nThe legs are 6 and 8.',
    ];
    const texts = continuing ? [' and then sales grew every year to 30.'] : Array.from({ length: n }, (_, i) => answers[i % answers.length] as string);
    const candidates = texts.map((text) => ({ text, tokens: [0], logprob: 0, tokenLogprobs: [0], finishReason: 'eos' as const }));
    return { promptTokens: [], candidates, ep: 'remote', model: this.name, timing: { loadMs: 0, generateMs: 0 }, tokensComputed: 0 };
  }

  async dispose(): Promise<void> {}
}

describe('cot-studio pairs', () => {
  let workspace: string;
  let sampler: ScriptedSampler;
  let server: RunningServer;

  before(async () => {
    workspace = makeWorkspace('cot-studio-pairs-cli-');
    sampler = new ScriptedSampler();
    server = await startServer({ backend: sampler, modelName: 'scripted-sampler' });
  });

  after(async () => {
    await server.close();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  const readLines = (file: string): unknown[] =>
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as unknown);

  it('writes only the new pairs as mmpr with meta.json, and leaves FILE alone', async () => {
    const file = path.join(workspace, 'mmpr.jsonl');
    // Line 1 is checkable but has no answer_gt; an MMPR record with one gets correctness pairs.
    fs.appendFileSync(
      file,
      `${JSON.stringify({ image: 'images/triangle.png', question: '<image>\nFind x.', chosen: 'Final answer: 10', rejected: 'Final answer: 14', answer_gt: '10' })}\n`,
    );
    const input = fs.readFileSync(file);
    const output = path.join(workspace, 'out', 'pairs.jsonl');
    fs.mkdirSync(path.dirname(output));
    const run = await runCli(
      'pairs',
      file,
      '--endpoint',
      server.url,
      '--endpoint-model',
      'scripted-sampler',
      '--samples',
      '8',
      '--seed',
      '5',
      '--without-image',
      '--format',
      'mmpr',
      '-o',
      output,
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const summary = pairSummarySchema.extend({ written: pairSummarySchema.shape.records }).parse(JSON.parse(run.stdout));
    // Record 3: 8 samples, 4 distinct; 1 correct against 2 wrong (the guard skips "100") and 1 format negative.
    assert.equal(summary.records, 3);
    assert.equal(summary.samples, 8);
    assert.equal(summary.duplicates, 4);
    assert.equal(summary.skippedByGuard, 1);
    assert.equal(summary.formatNegatives, 1);
    assert.equal(summary.correctnessPairs, 2);
    assert.equal(summary.withoutImagePairs, 2, 'records 1 and 2 have no ground truth');
    assert.equal(summary.written, 4);
    assert.deepEqual(
      sampler.seen.map(({ continuing, images }) => [continuing, images > 0]),
      [
        [true, false],
        [true, false],
        [false, true],
      ],
      'continuations go without the image, samples with it',
    );
    const lines = readLines(output) as Array<{ image: string; question: string; chosen: string; rejected: string }>;
    assert.equal(lines.length, 4);
    for (const line of lines) assert.deepEqual(Object.keys(line), ['image', 'question', 'chosen', 'rejected']);
    const own = readLines(file) as Array<{ chosen: string; rejected: string }>;
    assert.ok(!lines.some((line) => own.some((pair) => pair.rejected === line.rejected)), 'the records’ own pairs are not exported');
    assert.ok(lines.slice(0, 2).every((line, i) => line.chosen === own[i]?.chosen && line.rejected.endsWith(' and then sales grew every year to 30.')));
    assert.deepEqual(
      lines.slice(2).map((line) => line.rejected),
      ['x = 6 + 8.\nFinal answer: 14', 'It is a right triangle.\nThe legs are 6 and 8.'],
    );
    const meta = JSON.parse(fs.readFileSync(path.join(workspace, 'out', 'meta.json'), 'utf8')) as Record<
      string,
      { root: string; annotation: string; length: number }
    >;
    assert.deepEqual(meta.pairs, { root: workspace, annotation: output, data_augment: false, repeat_time: 1, length: 4 });
    assert.deepEqual(fs.readFileSync(file), input, 'FILE is not changed');
  });

  it('writes trl-dpo for the records --lines names, with the local model', async () => {
    const modelDir = path.join(workspace, 'model');
    makeTestModel(modelDir, { kind: 'bigram', corpus: [path.join(datasetsDir, 'llava_cot.jsonl')], hidden: 128, vocab: 512 });
    const output = path.join(workspace, 'pairs.trl.jsonl');
    const file = path.join(workspace, 'llava_cot.jsonl');
    const run = await runCli(
      'pairs',
      file,
      '--model',
      modelDir,
      '--provider',
      'cpu',
      '--without-image',
      '--lines',
      '1,3-4',
      '--max-tokens',
      '40',
      '--seed',
      '2',
      '--format',
      'trl-dpo',
      '-o',
      output,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /pairs for \d of 3 records/);
    assert.match(run.stderr, /\[3\/3\] .*llava_cot\.jsonl:4: /);
    const lines = readLines(output) as Array<{
      prompt: Array<{ role: string; content: Array<{ type: string }> }>;
      chosen: Array<{ role: string }>;
      rejected: Array<{ role: string }>;
      images: string[];
    }>;
    assert.ok(lines.length >= 1 && lines.length <= 3);
    for (const line of lines) {
      assert.deepEqual(Object.keys(line), ['prompt', 'chosen', 'rejected', 'images']);
      assert.equal(line.prompt[0]?.role, 'user');
      assert.equal(line.prompt[0]?.content[0]?.type, 'image');
      assert.deepEqual([line.chosen[0]?.role, line.rejected[0]?.role], ['assistant', 'assistant']);
      assert.deepEqual(line.images, ['images/bar_chart.png']);
    }
    assert.equal(fs.existsSync(path.join(workspace, 'meta.json')), false, 'trl-dpo has no side file');
  });

  it('refuses bad usage with exit code 2', async () => {
    const file = path.join(workspace, 'r1vl.jsonl');
    const model = ['--endpoint', server.url, '--endpoint-model', 'scripted-sampler'];
    assert.match((await runCli('pairs', file, ...model, '--format', 'trl-sft', '-o', 'x.jsonl')).stderr, /--format must be one of mmpr, trl-dpo/);
    assert.equal((await runCli('pairs', file, ...model, '--format', 'mmpr', '-o', file)).code, 2);
    const lines = await runCli('pairs', file, ...model, '--format', 'mmpr', '-o', path.join(workspace, 'x.jsonl'), '--lines', '9');
    assert.equal(lines.code, 2);
    assert.match(lines.stderr, /--lines: r1vl\.jsonl has no record on line 9/);
  });
});
