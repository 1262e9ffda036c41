import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OpenAICompatibleBackend } from '../../src/backends/openai';
import type { Backend, GenerateOptions, GenerationRequest } from '../../src/backends/types';
import { applyOperation, readRecordState } from '../../src/dataset/operations';
import type { GenerationResult } from '../../src/protocol';
import { type RunningServer, startServer } from '../../src/serve';
import { LocalEngine } from '../../src/engine/localEngine';
import { monteCarloScores } from '../../src/stepLabels/monteCarlo';
import { runCli } from '../harness/cli';
import { datasetsDir, makeWorkspace, projectRoot } from '../harness/fixtures';

/** The planted wrong step: everything written after it is wrong. */
const PLANTED = 'x^2 = 6^2 + 8^2 = 36 + 64 = 196.';
const STEPS = [
  '### Image Description:\nA right triangle with legs 6 and 8 and hypotenuse x.',
  '### Rationales:\nThe Pythagorean theorem relates the legs to the hypotenuse.',
  "### Let's think step by step.",
  '### Step 1:\nThe legs are 6 and 8.',
  `### Step 2:\n${PLANTED}`,
  '### Step 3:\nx = sqrt(196) = 14.',
  '### The final answer is:\n14',
];
const PLANTED_AT = STEPS.findIndex((step) => step.includes(PLANTED));
const RECORD = JSON.stringify({
  messages: [
    { role: 'user', content: 'Find x.' },
    { role: 'assistant', content: STEPS.join('\n\n') },
  ],
  answer: '10',
});

/**
 * A fake policy, since no model here can be made to reason: it finishes a response correctly from any prefix
 * without the planted step, and wrongly from one with it, as a policy that cannot recover from a wrong step would.
 * It counts the completions it was asked for.
 */
class ScriptedPolicy implements Backend {
  readonly name = 'scripted-policy';
  completions = 0;

  async generate(request: GenerationRequest, _options?: GenerateOptions): Promise<GenerationResult> {
    const prefix = 'messages' in request.prompt ? (request.prompt.messages.at(-1)?.content ?? '') : request.prompt.text;
    const n = request.sampling?.n ?? 1;
    this.completions += n;
    const text = prefix.includes(PLANTED) ? '\n\n### The final answer is:\n14' : '\n\n### The final answer is:\n10';
    return {
      promptTokens: [],
      candidates: Array.from({ length: n }, () => ({ text, tokens: [1], logprob: 0, tokenLogprobs: [0], finishReason: 'eos' as const })),
      ep: 'cpu',
      model: this.name,
      timing: { loadMs: 0, generateMs: 0 },
      tokensComputed: 0,
    };
  }

  async dispose(): Promise<void> {}
}

describe('Monte Carlo step scores against a scripted policy behind an OpenAI-compatible server', () => {
  let policy: ScriptedPolicy;
  let server: RunningServer;
  let client: OpenAICompatibleBackend;
  const record = readRecordState(RECORD).parsed;

  before(async () => {
    policy = new ScriptedPolicy();
    server = await startServer({ backend: policy, modelName: 'policy' });
    client = new OpenAICompatibleBackend({ baseUrl: server.url, model: 'policy' });
  });
  after(async () => {
    await client.dispose();
    await server.close();
  });

  it('scores 1 before the planted step and 0 from it on, with K rollouts per prefix but the last', async () => {
    assert.equal(record.responses[0]?.segments.length, STEPS.length);
    const before = policy.completions;
    const result = await monteCarloScores(client, record, { side: 'primary' }, { rollouts: 4 });
    assert.deepEqual(
      result.steps.map(({ index, correct, total, score }) => ({ index, correct, total, score })),
      STEPS.map((_, index) => {
        const correct = index < PLANTED_AT ? 4 : 0;
        return { index, correct, total: 4, score: correct / 4 };
      }),
    );
    assert.equal(result.firstError, PLANTED_AT);
    // The last step's prefix is the whole response: its own answer decides it.
    assert.equal(result.rollouts, 4 * (STEPS.length - 1));
    assert.equal(policy.completions - before, result.rollouts);
    assert.equal(result.policy, 'policy');
  });

  it('finds the same first error by binary search with fewer rollouts', async () => {
    const linear = await monteCarloScores(client, record, { side: 'primary' }, { rollouts: 4 });
    const before = policy.completions;
    const binary = await monteCarloScores(client, record, { side: 'primary' }, { rollouts: 4, search: 'binary' });
    assert.equal(binary.firstError, linear.firstError);
    assert.ok(binary.rollouts < linear.rollouts, `${binary.rollouts} rollouts against ${linear.rollouts}`);
    assert.equal(policy.completions - before, binary.rollouts);
    assert.ok(binary.steps.length <= Math.ceil(Math.log2(STEPS.length)) + 1, `${binary.steps.length} prefixes estimated`);
    for (const step of binary.steps) assert.equal(step.score, step.index < PLANTED_AT ? 1 : 0);
  });

  it('says none is wrong when every prefix leads to the answer, and refuses a record without a ground truth', async () => {
    const right = JSON.parse(RECORD) as { messages: { content: string }[] };
    const fixed = STEPS.map((step) => step.replace(PLANTED, 'x^2 = 36 + 64 = 100.').replace('sqrt(196) = 14', 'sqrt(100) = 10'))
      .join('\n\n')
      .replace(/14$/, '10');
    (right.messages[1] as { content: string }).content = fixed;
    for (const search of ['linear', 'binary'] as const) {
      const result = await monteCarloScores(client, readRecordState(JSON.stringify(right)).parsed, { side: 'primary' }, { rollouts: 2, search });
      assert.equal(result.firstError, null, search);
      assert.ok(result.steps.every((step) => step.score === 1));
    }
    const { answer: _, ...unanswered } = JSON.parse(RECORD) as Record<string, unknown>;
    await assert.rejects(monteCarloScores(client, readRecordState(JSON.stringify(unanswered)).parsed, { side: 'primary' }, {}), /no ground truth/);
  });

  it('is cot-studio mc-score: the same scores as JSON, the binary search with --binary, and bad usage refused', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-mc-score-'));
    try {
      const file = path.join(dir, 'steps.jsonl');
      fs.writeFileSync(file, `${RECORD}\n`);
      const endpoint = ['--endpoint', server.url, '--endpoint-model', 'policy'];
      const linear = await runCli('mc-score', file, '--line', '1', '--rollouts', '3', '--json', ...endpoint);
      assert.equal(linear.code, 0, linear.stderr);
      const expected = await monteCarloScores(client, record, { side: 'primary' }, { rollouts: 3 });
      assert.deepEqual(JSON.parse(linear.stdout), expected);
      const binary = JSON.parse((await runCli('mc-score', file, '--line', '1', '--rollouts', '3', '--binary', '--json', ...endpoint)).stdout) as {
        firstError: number;
        rollouts: number;
      };
      assert.equal(binary.firstError, PLANTED_AT);
      assert.ok(binary.rollouts < expected.rollouts);
      const text = await runCli('mc-score', file, '--line', '1', '--rollouts', '2', ...endpoint);
      assert.match(text.stdout, /^ {2}4 {2}0\.00 {2}0\/2 {2}Step 2$/m);
      assert.match(text.stdout, /first error: step 4$/m);
      const rated = applyOperation(`${RECORD}`, { kind: 'rateSegment', line: 1, segment: 0, rating: -1 }, { at: 'T', reflectionPhrase: 'Wait,' }).text;
      fs.writeFileSync(file, `${rated}\n${RECORD}\n`);
      const written = await runCli('mc-score', file, '--line', '1', '--rollouts', '2', '--write', ...endpoint);
      assert.equal(written.code, 0, written.stderr);
      assert.match(written.stdout, /stored 7 step scores/);
      const [stored, untouched] = fs.readFileSync(file, 'utf8').split('\n');
      assert.equal(untouched, RECORD, 'the other line keeps its bytes');
      const { annotations } = readRecordState(stored as string);
      assert.equal(annotations.segments['0']?.rating, -1, "the annotator's rating stays");
      assert.deepEqual(
        STEPS.map((_, index) => {
          const estimate = annotations.segments[String(index)]?.monteCarlo;
          return estimate && { score: estimate.score, correct: estimate.correct, total: estimate.total, policy: estimate.policy, rollouts: estimate.rollouts };
        }),
        STEPS.map((_, index) => ({ score: index < PLANTED_AT ? 1 : 0, correct: index < PLANTED_AT ? 2 : 0, total: 2, policy: 'policy', rollouts: 12 })),
      );
      const missing = await runCli('mc-score', file, '--line', '3', ...endpoint);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /no record on line 3/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is cot-studio mc-score --all: every record with a ground truth scored into a copy, the others skipped and counted', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-mc-score-all-'));
    try {
      const { answer: _, ...unanswered } = JSON.parse(RECORD) as Record<string, unknown>;
      const rated = applyOperation(RECORD, { kind: 'rateSegment', line: 1, segment: PLANTED_AT, rating: 1 }, { at: 'T', reflectionPhrase: 'Wait,' }).text;
      const lines = [rated, JSON.stringify(unanswered), RECORD];
      const file = path.join(dir, 'steps.jsonl');
      fs.writeFileSync(file, `${lines.join('\n')}\n`);
      const input = fs.readFileSync(file);
      const output = path.join(dir, 'scored.jsonl');
      const endpoint = ['--endpoint', server.url, '--endpoint-model', 'policy'];
      const before = policy.completions;
      const all = await runCli('mc-score', file, '--all', '--rollouts', '2', '--concurrency', '2', '--output', output, '--json', ...endpoint);
      assert.equal(all.code, 0, all.stderr);
      const summary = JSON.parse(all.stdout) as Record<string, unknown>;
      assert.deepEqual(
        [summary.selected, summary.scored, summary.skipped, summary.skipReasons, summary.failed, summary.steps, summary.rollouts],
        [3, 2, 1, { 'no ground truth': 1 }, 0, 2 * STEPS.length, 2 * 2 * (STEPS.length - 1)],
      );
      assert.equal(policy.completions - before, summary.rollouts);
      assert.deepEqual(fs.readFileSync(file), input, 'the input is never changed');
      assert.equal(fs.existsSync(`${output}.journal`), false);
      const written = fs.readFileSync(output, 'utf8').split('\n');
      assert.equal(written[1], lines[1], 'a record without a ground truth is copied as it was');
      for (const i of [0, 2]) {
        const { annotations } = readRecordState(written[i] as string);
        assert.deepEqual(
          STEPS.map((_, index) => annotations.segments[String(index)]?.monteCarlo?.score),
          STEPS.map((_, index) => (index < PLANTED_AT ? 1 : 0)),
          `line ${i + 1}`,
        );
      }
      const ratedStep = readRecordState(written[0] as string).annotations.segments[String(PLANTED_AT)];
      assert.equal(ratedStep?.rating, 1, "the annotator's rating stays beside a score of 0");
      assert.equal(ratedStep?.monteCarlo?.score, 0);

      const listed = await runCli('mc-score', file, '--lines', '1-2', '--rollouts', '2', ...endpoint);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, /2 records selected \(--lines 1-2\), 1 scored, 1 skipped \(no ground truth: 1\), 0 failed; 7 steps scored, 12 rollouts/);
      assert.match(listed.stdout, new RegExp(`wrote ${path.join(dir, 'steps.scored.jsonl').replace(/[.\\]/g, '\\$&')}`));
      assert.match(listed.stderr, /steps\.jsonl:2: skipped: no ground truth/);

      const usage = await runCli('mc-score', file, '--all', '--write', ...endpoint);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /--write changes one record in place; --all writes a copy/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Monte Carlo step scores with the bundled model', () => {
  it('rolls out every stage of a LLaVA-CoT sample given its ground truth, through the engine process, with its image', async () => {
    const workspace = makeWorkspace('cot-studio-mc-score-');
    try {
      const [first] = fs.readFileSync(path.join(workspace, 'llava_cot.jsonl'), 'utf8').split('\n');
      const file = path.join(workspace, 'answered.jsonl');
      fs.writeFileSync(file, `${JSON.stringify({ ...(JSON.parse(first as string) as object), answer: '2022' })}\n`);
      const result = await runCli(
        'mc-score',
        file,
        ...[
          '--line',
          '1',
          '--rollouts',
          '2',
          '--max-tokens',
          '24',
          '--json',
          '--model',
          path.join(projectRoot, 'dist', 'models', 'tiny-bigram'),
          '--provider',
          'cpu',
        ],
      );
      assert.equal(result.code, 0, result.stderr);
      const scores = JSON.parse(result.stdout) as { steps: { index: number; total: number; score: number }[]; rollouts: number; policy: string };
      assert.deepEqual(
        scores.steps.map((step) => step.index),
        [0, 1, 2, 3],
        'SUMMARY, CAPTION, REASONING, CONCLUSION',
      );
      for (const step of scores.steps) assert.ok(step.total === 2 && step.score >= 0 && step.score <= 1);
      assert.equal(scores.steps[3]?.score, 1, 'the response itself concludes 2022');
      assert.equal(scores.rollouts, 2 * 3);
      assert.equal(scores.policy, 'tiny-bigram');
    } finally {
      fs.rmSync(workspace, { recursive: true, force: true });
    }
  });

  it("ends a rollout once it has written the response's closing tag, and reads its answer with the tag", async () => {
    const [first] = fs.readFileSync(path.join(datasetsDir, 'llava_cot.jsonl'), 'utf8').split('\n');
    const record = readRecordState(JSON.stringify({ ...(JSON.parse(first as string) as object), answer: '2022', image: undefined })).parsed;
    const engine = await LocalEngine.load(path.join(projectRoot, 'dist', 'models', 'tiny-bigram'), { provider: 'cpu' });
    const seen: { stop: string[] | undefined; candidates: GenerationResult['candidates'] }[] = [];
    const recording: Backend = {
      name: engine.name,
      async generate(request: GenerationRequest, options?: GenerateOptions) {
        const result = await engine.generate(request, options);
        seen.push({ stop: request.sampling?.stop, candidates: result.candidates });
        return result;
      },
      dispose: () => engine.dispose(),
    };
    try {
      const result = await monteCarloScores(recording, record, { side: 'primary' }, { rollouts: 8, maxTokens: 400, seed: 3 });
      assert.equal(seen.length, 3, 'a batch for each prefix but the whole response');
      assert.ok(
        seen.every((batch) => batch.stop?.[0] === '</CONCLUSION>'),
        'every batch stops at the closing tag',
      );
      const stopped = seen.flatMap((batch) => batch.candidates).filter((candidate) => candidate.stopString === '</CONCLUSION>');
      assert.ok(stopped.length > 0, 'some rollouts reach the closing tag');
      for (const candidate of stopped) assert.doesNotMatch(candidate.text, /<\/CONCLUSION>/);
      // A rollout that concluded 2022 counts as correct, though the tag that closes its conclusion was cut.
      const concluded = (text: string) => /<CONCLUSION>[^<]*\b2022\b[^<]*$/.test(text);
      const expected = seen.map((batch) => batch.candidates.filter((candidate) => candidate.stopString !== undefined && concluded(candidate.text)).length);
      assert.ok(
        result.steps.slice(0, 3).every((step, index) => step.correct >= (expected[index] ?? 0)),
        JSON.stringify({ steps: result.steps, expected }),
      );
    } finally {
      await recording.dispose();
    }
  });
});
