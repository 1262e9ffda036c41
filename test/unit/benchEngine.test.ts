import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { benchOutputSchema, engineMeasureIdSchema } from '../../src/bench';
import { makeTestModel } from '../../src/testModel';
import { projectRoot } from '../harness/fixtures';

const cli = path.join(projectRoot, 'dist', 'cli.js');
const execute = promisify(execFile);

describe('cot-studio bench --only engine', () => {
  it('benches a model folder against its baselines and gives every figure as a positive, finite ratio', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-bench-engine-test-'));
    const modelDir = path.join(dir, 'tiny');
    const out = path.join(dir, 'bench.json');
    let written: unknown;
    let stdout: string;
    try {
      makeTestModel(modelDir, { kind: 'random', layers: 1, hidden: 32, heads: 2, kvHeads: 1, vocab: 384 });
      ({ stdout } = await execute(process.execPath, [
        '--expose-gc',
        cli,
        'bench',
        '--only',
        'engine',
        '--quick',
        '--engine-model',
        modelDir,
        '--json',
        '--out',
        out,
      ]));
      written = JSON.parse(fs.readFileSync(out, 'utf8'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const output = benchOutputSchema.parse(JSON.parse(stdout));
    assert.deepEqual(written, output);
    assert.equal(output.dataset, undefined, '--only engine runs no dataset bench');
    const engine = output.engine;
    assert.ok(engine);
    assert.equal(engine.provider, 'cpu');
    assert.equal(engine.quick, true);
    assert.equal(engine.models.length, 1);
    const [model] = engine.models;
    assert.ok(model);
    assert.equal(model.source, 'user');
    assert.equal(model.layers, 1);
    assert.equal(model.kvHeads, 1);
    assert.ok(model.promptTokens >= 64, `prompt of ${model.promptTokens} tokens`);
    // Random weights seldom close a stage: the search of the rest may stop at its first and is skipped then.
    const restIds = ['regenerate-rest', 'regenerate-rest-per-kept'];
    const skippedIds = model.skipped.map((skip) => skip.id);
    if (skippedIds.length > 0) assert.deepEqual(skippedIds, restIds);
    for (const skip of model.skipped) assert.match(skip.reason, /^every candidate of the first stage was dropped/);
    assert.deepEqual(
      model.rows.map((row) => row.id),
      // Image encoding is measured on vision-language models alone.
      engineMeasureIdSchema.options.filter((id) => !skippedIds.includes(id) && id !== 'vision-encode'),
    );
    // A count of candidates kept may be none (random weights seldom close a stage); every other figure is a positive ratio.
    for (const row of model.rows)
      assert.ok(Number.isFinite(row.ratio) && (row.ratio > 0 || (row.unit === 'candidates' && row.ratio === 0)), `${row.id}: ratio ${row.ratio}`);
    const kept = model.rows.find((row) => row.id === 'grammar-kept');
    assert.ok(kept && kept.ours <= kept.baseline && kept.baseline === 8, `candidates kept under the grammar: ${kept?.ours} of ${kept?.baseline}`);
    assert.match(kept.note, /^sampled freely and dropped afterwards, \d of 8 were kept/);
    assert.equal(model.matchesBareLoop, true, 'the engine decodes greedily the tokens the bare loop does');
    assert.equal(model.matchesTransformers, true, 'and the tokens transformers.js does');
    const perKept = model.rows.find((row) => row.id === 'computed-per-kept');
    assert.ok(perKept && perKept.ours <= 1.1, `tokens computed per kept ${perKept?.ours}`);
    assert.match(model.rows.find((row) => row.id === 'prefix-hit')?.note ?? '', /^reused [1-9]\d* of \d+ prompt tokens/);
    // Each step prefix extends the one before: with the cache its rollouts resume it, and the binary search rolls out fewer prefixes.
    const monteCarlo = model.rows.find((row) => row.id === 'mc-per-generated');
    assert.ok(monteCarlo && monteCarlo.ours < monteCarlo.baseline, `MC tokens computed per generated ${monteCarlo?.ours} against ${monteCarlo?.baseline}`);
    const binary = model.rows.find((row) => row.id === 'mc-binary');
    assert.ok(binary && binary.ours < binary.baseline, `binary search ${binary?.ours} rollouts against ${binary?.baseline}`);
    for (const n of [4, 8]) {
      assert.match(
        model.rows.find((row) => row.id === `regenerate-${n}`)?.note ?? '',
        new RegExp(`^median of 1; \\d+ of ${n} candidates valid; same candidates;`),
      );
      const stagePerKept = model.rows.find((row) => row.id === `regenerate-${n}-per-kept`);
      assert.ok(
        stagePerKept && stagePerKept.ours <= 1.1 && stagePerKept.baseline > stagePerKept.ours,
        `beam n=${n}: ${stagePerKept?.ours} against ${stagePerKept?.baseline} per kept`,
      );
    }
    for (const iterations of [8, 16]) {
      const search = model.rows.find((row) => row.id === `mcts-${iterations}`);
      assert.equal(search?.unit, 'iter/s');
      assert.match(search?.note ?? '', /^median of 1; \d+ steps in the tree; same tree;/, 'the prefix cache changes nothing the search finds');
      const searchPerKept = model.rows.find((row) => row.id === `mcts-${iterations}-per-kept`);
      // Every expansion continues a prefix an earlier round computed: with the cache that prefix is not computed again.
      assert.ok(
        searchPerKept && searchPerKept.baseline > searchPerKept.ours,
        `tree search ${iterations}: ${searchPerKept?.ours} against ${searchPerKept?.baseline}`,
      );
    }
  });

  it('benches a vision-language folder after an image: the bare loop decodes what the engine does, transformers.js encodes the same features', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-bench-vision-test-'));
    const modelDir = path.join(dir, 'vlm');
    let stdout: string;
    try {
      makeTestModel(modelDir, { kind: 'qwen2-vl', layers: 1, hidden: 32, heads: 2, kvHeads: 1, vocab: 400, visionHidden: 16 });
      ({ stdout } = await execute(process.execPath, [cli, 'bench', '--only', 'engine', '--quick', '--engine-model', modelDir, '--json']));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const [model] = benchOutputSchema.parse(JSON.parse(stdout)).engine?.models ?? [];
    assert.ok(model);
    assert.equal(model.matchesBareLoop, true, 'the engine decodes after the image what a bare loop fed the same features does');
    assert.match(model.rows.find((row) => row.id === 'decode')?.measure ?? '', /after an image$/);
    const encode = model.rows.find((row) => row.id === 'vision-encode');
    assert.ok(encode && encode.unit === 'ms' && encode.ratio > 0, JSON.stringify(encode));
    assert.match(encode.note, /same features/);
    assert.deepEqual(
      model.skipped.find((skip) => skip.id === 'transformers'),
      { id: 'transformers', reason: 'a vision-language model is checked token for token against transformers.js by test/unit/visionEngine.test.ts' },
    );
    // The image's tokens come before the prompt; a longer prompt of the same image resumes them from the cache.
    assert.match(model.rows.find((row) => row.id === 'prefix-hit')?.note ?? '', /^reused [1-9]\d* of \d+ prompt tokens/);
    const perKept = model.rows.find((row) => row.id === 'computed-per-kept');
    assert.ok(perKept && perKept.ours <= 1.1, `tokens computed per kept ${perKept?.ours}`);
  });

  it('exits 2 for an option of the other bench', async () => {
    await assert.rejects(execute(process.execPath, [cli, 'bench', '--only', 'dataset', '--quick']), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /--quick does not apply to the dataset bench/);
      return true;
    });
  });
});
