// The first run a new user makes: the sample model that ships in the VSIX, the default settings, every sample record.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Backend } from '../../src/backends/types';
import { LocalEngine } from '../../src/engine/localEngine';
import { beamSearch, DEFAULT_BEAM } from '../../src/search/beam';
import { DEFAULT_MCTS, mctsSearch } from '../../src/search/mcts/modelSearch';
import { JudgeTemplates, makeScorer } from '../../src/search/scorers';
import { foreignTag } from '../../src/search/segmentPrompt';
import { projectRoot } from '../harness/fixtures';
import { sampleRecords } from '../harness/sampleRecords';

/** The model `npm run build` bundles: a bigram model of the sample datasets. */
const SAMPLE_MODEL = path.join(projectRoot, 'dist', 'models', 'tiny-bigram');
/** The sample model gives no verdicts, so the editor ranks its candidates by log-probability. */
const scorer = makeScorer('logprob');

describe('the sample model with the default settings', () => {
  let engine: LocalEngine;
  let backend: Backend;
  before(async () => {
    engine = await LocalEngine.load(SAMPLE_MODEL, { provider: 'cpu' });
    backend = { name: engine.name, generate: (request, options) => engine.generate(request, options), dispose: async () => undefined };
  });
  after(() => engine.dispose());

  it('gives candidates for every segment of every sample record, and the rest of every response', async () => {
    const failures: string[] = [];
    let segments = 0;
    let tooLong = 0;
    for (const { at, record } of sampleRecords()) {
      const count = record.responses[0]?.segments.length ?? 0;
      const refusedBefore = tooLong;
      for (let segment = 0; segment < count; segment++) {
        segments++;
        try {
          const { stages } = await beamSearch(backend, scorer, backend, record, { side: 'primary' }, segment, { ...DEFAULT_BEAM, seed: 1 });
          if (stages[0]?.chosen === undefined) failures.push(`${at} segment ${segment}: ${stages[0]?.dropped.map((dropped) => dropped.reason).join('; ')}`);
        } catch (error) {
          // A record longer than the sample model's context is refused before any decoding, as any model refuses it.
          if (error instanceof Error && /more than tiny-bigram's context of \d+ tokens can hold/.test(error.message)) tooLong++;
          else failures.push(`${at} segment ${segment}: ${String(error)}`);
        }
      }
      if (count > 1 && tooLong === refusedBefore) {
        const rest = await beamSearch(backend, scorer, backend, record, { side: 'primary' }, 0, { ...DEFAULT_BEAM, seed: 2, rest: true });
        if (rest.stages.length !== count || rest.stages.some((stage) => stage.chosen === undefined))
          failures.push(`${at}: the rest stopped after ${rest.stages.length} of ${count} segments`);
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(segments > 100 && tooLong <= 2, `${segments} segments, ${tooLong} longer than the context`);
  });

  it('finds candidates by tree search for every sample record, under the grammar of the rest of the response', async () => {
    const failures: string[] = [];
    let searched = 0;
    for (const { at, record } of sampleRecords()) {
      if ((record.responses[0]?.segments.length ?? 0) === 0) continue;
      try {
        // The default settings, but 4 iterations rather than 20, to keep the test short.
        const result = await mctsSearch([backend], [{ backend, weight: 1, templates: new JudgeTemplates() }], record, { side: 'primary' }, 0, {
          ...DEFAULT_MCTS,
          iterations: 4,
          seed: 1,
          reflectionPhrase: 'Wait,',
        });
        searched++;
        if (result.candidates.length === 0) failures.push(`${at}: no candidate`);
        const broken = result.candidates.find((candidate) => foreignTag(candidate.text) !== undefined);
        if (broken) failures.push(`${at}: ${JSON.stringify(broken.text)} holds another segment's tag`);
      } catch (error) {
        if (!(error instanceof Error && /more than tiny-bigram's context of \d+ tokens can hold/.test(error.message))) failures.push(`${at}: ${String(error)}`);
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(searched > 20, `${searched} records searched`);
  });
});
