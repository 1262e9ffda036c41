import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readRecordState } from '../../src/dataset/operations';
import type { LocalEngine } from '../../src/engine/localEngine';
import { DEFAULT_BEAM } from '../../src/search/beam';
import { DEFAULT_MCTS } from '../../src/search/mcts/modelSearch';
import { type RegenerationJob, runRegeneration, searchOptions } from '../../src/search/runner';
import { JudgeTemplates, makeScorer } from '../../src/search/scorers';
import { datasetsDir } from '../harness/fixtures';
import { engineBackend } from '../harness/servedEngine';

const line2 = fs.readFileSync(path.join(datasetsDir, 'llava_cot.jsonl'), 'utf8').split('\n')[1] as string;

describe('search options', () => {
  const run = { rest: false };

  it('take what the run asks for, then what is configured, then the methods’ defaults', () => {
    const defaults = searchOptions(run);
    assert.deepEqual(defaults.beam, DEFAULT_BEAM);
    assert.equal(defaults.mcts.iterations, DEFAULT_MCTS.iterations);
    assert.equal(defaults.mcts.temperature, 0.9, "Mulberry's sampling for the tree search");
    const configured = searchOptions(run, { beam: { candidates: 6, temperature: 0.3 }, mcts: { iterations: 9, c: 1.5, maxTokens: 100 } });
    assert.equal(configured.beam.candidates, 6);
    assert.equal(configured.beam.temperature, 0.3);
    assert.equal(configured.beam.topP, DEFAULT_BEAM.topP);
    assert.equal(configured.mcts.iterations, 9);
    assert.equal(configured.mcts.c, 1.5);
    assert.equal(configured.mcts.maxTokens, 100);
    const asked = searchOptions(
      { ...run, candidates: 2, iterations: 3, maxTokens: 40, temperature: 0.1 },
      { beam: { candidates: 6 }, mcts: { iterations: 9 } },
    );
    assert.deepEqual([asked.beam.candidates, asked.beam.maxTokens, asked.beam.temperature], [2, 40, 0.1]);
    assert.deepEqual([asked.mcts.iterations, asked.mcts.candidates, asked.mcts.maxTokens, asked.mcts.temperature], [3, 2, 40, 0.1]);
  });

  it('leave a default in place where a configured value is missing', () => {
    const options = searchOptions(run, { beam: { candidates: undefined }, mcts: { reflectionPhrase: undefined } });
    assert.equal(options.beam.candidates, DEFAULT_BEAM.candidates);
    assert.ok(options.mcts.reflectionPhrase.length > 0);
  });
});

describe('the regeneration runner', () => {
  let engine: LocalEngine;
  before(async () => {
    engine = await engineBackend();
  });
  after(() => engine?.dispose());

  const job = (overrides: Partial<RegenerationJob> = {}): RegenerationJob => {
    const { parsed } = readRecordState(line2);
    return {
      record: parsed,
      imageNames: parsed.images,
      reply: { side: 'primary', turn: 0 },
      line: 2,
      segment: 2,
      seed: 5,
      method: 'beam',
      ...searchOptions({ rest: false, candidates: 4, maxTokens: 60, temperature: 0.3 }),
      backend: engine,
      scorer: makeScorer('logprob'),
      policies: [engine],
      judges: [{ backend: engine, weight: 1 }],
      templates: new JudgeTemplates(),
      ...overrides,
    };
  };

  it('gives beam search’s candidates as the edit that keeps them, with the provenance the result reports', async () => {
    const staged: Array<{ segment: number; alternatives: number }> = [];
    const { result, operations } = await runRegeneration(job(), {
      onStage: (stage, operation) =>
        staged.push({ segment: stage.segment, alternatives: operation?.kind === 'addAlternatives' ? operation.alternatives.length : 0 }),
    });
    assert.equal(result.provenance.method, 'beam');
    assert.equal(result.provenance.seed, 5);
    assert.deepEqual(staged, [{ segment: 2, alternatives: result.candidates.length }]);
    assert.ok(result.candidates.length > 0, 'the bigram model closes REASONING under the grammar');
    const [operation] = operations;
    assert.equal(operation?.kind, 'addAlternatives');
    assert.ok(operation?.kind === 'addAlternatives');
    assert.deepEqual(
      operation.alternatives.map((alternative) => alternative.text),
      result.candidates.map((candidate) => candidate.text),
    );
    assert.deepEqual(operation.alternatives[0]?.provenance, result.candidates[0]?.provenance);
    assert.equal(operation.line, 2);
  });

  it('keeps nothing of a run cancelled before its stage is decided', async () => {
    const controller = new AbortController();
    let stages = 0;
    const { operations } = await runRegeneration(job({ method: 'mcts' }), {
      signal: controller.signal,
      onRound: () => controller.abort(),
    });
    assert.deepEqual(operations, [], 'a cancelled tree search stores nothing');
    const beam = new AbortController();
    const cut = await runRegeneration(job(), {
      signal: beam.signal,
      onToken: () => beam.abort(),
      onStage: () => stages++,
    });
    assert.deepEqual(cut.operations, []);
    assert.equal(stages, 0, 'a stage cut short decides nothing');
  });
});
