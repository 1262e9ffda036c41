// The first run a new user makes: the sample model that ships in the VSIX, the default settings, every sample record.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Backend } from '../../src/backends/types';
import { readRecordState } from '../../src/dataset/operations';
import type { ParsedRecord } from '../../src/dataset/record';
import { LocalEngine } from '../../src/engine/localEngine';
import { beamSearch, DEFAULT_BEAM } from '../../src/search/beam';
import { makeScorer } from '../../src/search/scorers';
import { datasetsDir, projectRoot } from '../harness/fixtures';

/** The model `npm run build` bundles: a bigram model of the sample datasets. */
const SAMPLE_MODEL = path.join(projectRoot, 'dist', 'models', 'tiny-bigram');
/** The sample model gives no verdicts, so the editor ranks its candidates by log-probability. */
const scorer = makeScorer('logprob');

/** Every record of every sample dataset that parses, with where it is. */
function sampleRecords(): Array<{ at: string; record: ParsedRecord }> {
  return fs
    .readdirSync(datasetsDir)
    .filter((name) => name.endsWith('.jsonl'))
    .sort()
    .flatMap((name) =>
      fs
        .readFileSync(path.join(datasetsDir, name), 'utf8')
        .split('\n')
        .flatMap((line, index) => {
          try {
            return line.trim() === '' ? [] : [{ at: `${name}:${index + 1}`, record: readRecordState(line).parsed }];
          } catch {
            // The samples' deliberate flaws: lines that are not records are not regenerated.
            return [];
          }
        }),
    );
}

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
        if (rest.stages.length !== count || rest.stages.some((stage) => stage.chosen === undefined)) failures.push(`${at}: the rest stopped after ${rest.stages.length} of ${count} segments`);
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(segments > 100 && tooLong <= 2, `${segments} segments, ${tooLong} longer than the context`);
  });
});
