import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Backend, GenerateOptions, GenerationRequest } from '../../src/backends/types';
import { readRecordState } from '../../src/dataset/operations';
import type { ParsedRecord } from '../../src/dataset/record';
import { LocalEngine } from '../../src/engine/localEngine';
import type { Candidate, GenerationResult, Prompt } from '../../src/protocol';
import { beamSearch, DEFAULT_BEAM } from '../../src/search/beam';
import { makeScorer } from '../../src/search/scorers';
import { parseYesNo } from '../../src/search/scorers/answerJudge';
import { parseVerdict } from '../../src/search/scorers/knockout';
import { parseStepVerdict } from '../../src/search/scorers/stepJudge';
import type { ScoringContext, SegmentCandidate } from '../../src/search/scorers/types';
import { segmentBoundary, segmentCandidateText, segmentRequest } from '../../src/search/segmentPrompt';
import { makeTestModel } from '../../src/testModel';
import { datasetsDir } from '../harness/fixtures';

const llava = fs.readFileSync(path.join(datasetsDir, 'llava_cot.jsonl'), 'utf8').split('\n');
const mulberry = fs.readFileSync(path.join(datasetsDir, 'mulberry.jsonl'), 'utf8').split('\n');
const record = (line: string): ParsedRecord => readRecordState(line).parsed;

/**
 * A scripted judge standing in for a model judge (a tiny model cannot judge): it reads the two responses
 * from the pairwise prompt and answers in LLaVA-CoT's verdict form by a rule, or says something unparseable.
 */
class ScriptedJudge implements Backend {
  readonly name = 'scripted-judge';
  readonly prompts: string[] = [];
  /** The images each call showed the judge. */
  readonly images: Array<string[] | undefined> = [];

  constructor(private readonly answer: (prompt: string, first: string, second: string) => string) {}

  async generate(request: GenerationRequest, _options?: GenerateOptions): Promise<GenerationResult> {
    const prompt = 'messages' in request.prompt ? (request.prompt.messages[0]?.content ?? '') : request.prompt.text;
    this.prompts.push(prompt);
    this.images.push(request.images);
    const first = /Response 1: ([\s\S]*?)\n\nResponse 2:/.exec(prompt)?.[1] ?? '';
    const second = /Response 2: ([\s\S]*?)\n\n/.exec(prompt)?.[1] ?? '';
    const candidate: Candidate = { text: this.answer(prompt, first, second), tokens: [], logprob: 0, tokenLogprobs: [], finishReason: 'eos' };
    return { promptTokens: [], candidates: [candidate], ep: 'cpu', model: this.name, timing: { loadMs: 0, generateMs: 0 }, tokensComputed: 0 };
  }

  async dispose(): Promise<void> {}
}

function candidates(texts: string[]): SegmentCandidate[] {
  return texts.map((text, i) => ({ text, candidate: { text, tokens: [1, 2], logprob: -1 - i, tokenLogprobs: [-0.5, -0.5 - i], finishReason: 'stop' } }));
}

function context(judge: Backend, segment = 2): ScoringContext {
  const parsed = record(llava[0] as string);
  const found = parsed.responses[0]?.segments[segment];
  assert.ok(found);
  return { record: parsed, segment: found, prefix: 'so far', judge, seed: 7 };
}

describe('judge verdicts', () => {
  it('read LLaVA-CoT pairwise verdicts strictly', () => {
    assert.equal(parseVerdict('Since it counts every bar, I choose response 2.'), 2);
    assert.equal(parseVerdict('Since both are fine, I choose response [1].'), 1);
    assert.equal(parseVerdict('I choose response 1. Actually I choose response 2.'), undefined, 'two different choices');
    assert.equal(parseVerdict('Response 1 is better.'), undefined, 'not the verdict form');
  });

  it('read step and yes/no verdicts, refusing replies that say both', () => {
    assert.equal(parseStepVerdict('Correct.'), 1);
    assert.equal(parseStepVerdict('This step is incorrect'), -1);
    assert.equal(parseStepVerdict('neutral'), 0);
    assert.equal(parseStepVerdict('correct or incorrect, hard to say'), undefined);
    assert.equal(parseYesNo('Yes, it does.'), true);
    assert.equal(parseYesNo('no'), false);
    assert.equal(parseYesNo('yes and no'), undefined);
  });
});

describe('knockout judge', () => {
  const longest = (_: string, first: string, second: string) => `Since it says more, I choose response ${first.length >= second.length ? 1 : 2}.`;

  it('makes N-1 pairwise calls and ranks the winner first', async () => {
    for (const n of [2, 3, 5, 8]) {
      const judge = new ScriptedJudge(longest);
      const texts = Array.from({ length: n }, (_, i) => `candidate ${'x'.repeat((i * 7) % n)} ${i}`);
      const scoring = context(judge, 1);
      const ranking = await makeScorer('knockout').rank(candidates(texts), scoring);
      assert.equal(judge.prompts.length, n - 1, `n = ${n}`);
      assert.ok(scoring.record.images.length > 0);
      for (const shown of judge.images) assert.deepEqual(shown, scoring.record.images, 'a vision-language judge sees the record image');
      assert.equal(ranking.judgeCalls, n - 1);
      const best = texts.reduce((a, b) => (b.length > a.length ? b : a));
      assert.equal(texts[ranking.order[0] as number], best);
      assert.deepEqual(
        [...ranking.order].sort(),
        texts.map((_, i) => i),
        'every candidate is ranked once',
      );
    }
  });

  it('asks again after an unparseable verdict, then falls back to the mean log-probability and says so', async () => {
    const judge = new ScriptedJudge(() => 'Both responses have merit.');
    const ranking = await makeScorer('knockout').rank(candidates(['a b c', 'd e f', 'g h i']), context(judge, 1));
    assert.equal(ranking.judgeCalls, 4, 'two pairs, each asked twice');
    assert.equal(ranking.order[0], 0, 'the highest mean log-probability wins the fallback');
    assert.equal(ranking.notes.length, 2);
    assert.match(ranking.notes[0] ?? '', /no verdict for candidates \d and \d after a retry; the higher mean log-probability/);
  });

  it('screens REASONING candidates with the step judge before the knockout', async () => {
    const judge = new ScriptedJudge((prompt, first, second) => {
      if (prompt.includes('Next step:')) return /wrong/.test(prompt.split('Next step:')[1] ?? '') ? 'incorrect' : 'correct';
      return `Since it is right, I choose response ${first.length >= second.length ? 1 : 2}.`;
    });
    const texts = ['a wrong but very long line of reasoning', 'right', 'also right'];
    const ranking = await makeScorer('knockout').rank(candidates(texts), context(judge, 2));
    assert.equal(texts[ranking.order[0] as number], 'also right', 'the long wrong one is out before any pairwise call');
    assert.equal(ranking.order.at(-1), 0);
    assert.equal(ranking.judgeCalls, 3 + 1);
    assert.match(ranking.notes.join(' '), /1 of 3 candidates judged incorrect/);
  });
});

describe('segment candidates', () => {
  const stage = record(llava[0] as string).responses[0]?.segments[2];
  assert.ok(stage);

  it('stop at the closing tag, and are dropped without it or with another stage tag inside', () => {
    const boundary = segmentBoundary(stage);
    assert.deepEqual(boundary.stop, ['</REASONING>']);
    const base: Candidate = { text: ' 21 is largest. ', tokens: [], logprob: 0, tokenLogprobs: [], finishReason: 'stop', stopString: '</REASONING>' };
    assert.deepEqual(segmentCandidateText(base, boundary), { text: ' 21 is largest. ' });
    assert.deepEqual(segmentCandidateText({ ...base, finishReason: 'eos' }, boundary), { reason: 'no </REASONING> before the end of the sequence' });
    assert.deepEqual(segmentCandidateText({ ...base, finishReason: 'length' }, boundary), { reason: 'no </REASONING> before the token limit' });
    assert.deepEqual(segmentCandidateText({ ...base, text: ' x </SUMMARY> y' }, boundary), { reason: 'contains </SUMMARY>, which belongs to another segment' });
    assert.deepEqual(segmentCandidateText({ ...base, text: '  ' }, boundary), { reason: 'empty' });
  });

  it('continue the response up to the segment, with its opening tag, as an assistant prefix', () => {
    const { request } = segmentRequest(record(llava[0] as string), { side: 'primary' }, 2);
    assert.ok('messages' in request.prompt);
    const [user, assistant] = request.prompt.messages;
    assert.match(user?.content ?? '', /In which year were the most bicycles sold/);
    assert.match(assistant?.content ?? '', /<\/CAPTION>\n\n<REASONING>$/);
    assert.equal(request.prompt.continueFinal, true);
    assert.deepEqual(request.images, ['images/bar_chart.png']);
  });

  it('end Mulberry steps at the next ### header and keep a last step that ends the response', () => {
    const steps = record(mulberry[0] as string).responses[0]?.segments ?? [];
    const boundary = segmentBoundary(steps[1] as NonNullable<(typeof steps)[number]>);
    assert.deepEqual(boundary.stop, ['\n###']);
    const candidate: Candidate = { text: 'Count the bars.\n\n', tokens: [], logprob: 0, tokenLogprobs: [], finishReason: 'eos' };
    assert.deepEqual(segmentCandidateText(candidate, boundary), { text: 'Count the bars.' });
  });
});

describe('beam search with the bigram model', () => {
  let dir: string;
  let engine: LocalEngine;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-beam-'));
    const corpus = ['llava_cot.jsonl', 'mulberry.jsonl'].map((name) => path.join(datasetsDir, name));
    makeTestModel(dir, { kind: 'bigram', corpus, hidden: 256, vocab: 700 });
    engine = await LocalEngine.load(dir, { provider: 'cpu' });
  });

  after(async () => {
    await engine.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('regenerates a stage: candidates end at the closing tag, the rest are dropped with a reason', async () => {
    const parsed = record(llava[1] as string);
    const result = await beamSearch(engine, makeScorer('logprob'), engine, parsed, { side: 'primary' }, 2, {
      ...DEFAULT_BEAM,
      candidates: 8,
      seed: 3,
      maxTokens: 120,
    });
    const [stage] = result.stages;
    assert.ok(stage);
    assert.equal(stage.label, 'REASONING');
    assert.equal(stage.candidates.length + stage.dropped.length, 8);
    assert.ok(stage.candidates.length > 0, `every candidate dropped: ${stage.dropped.map((d) => d.reason).join('; ')}`);
    for (const candidate of stage.candidates) assert.doesNotMatch(candidate.text, /<\/?(SUMMARY|CAPTION|REASONING|CONCLUSION)>/);
    for (const dropped of stage.dropped) assert.match(dropped.reason, /no <\/REASONING> before|contains <|empty/);
    assert.equal(stage.candidates[stage.chosen ?? -1]?.rank, 0);
    const scores = stage.candidates.map((candidate) => candidate.score ?? -Infinity);
    assert.equal(stage.candidates[stage.chosen ?? -1]?.score, Math.max(...scores), 'log-probability ranking puts the best score first');
    assert.equal(result.scorer, 'logprob');
  });

  it('scores steps with a reward model as P(good) / (P(good) + P(bad)) of the next token', async () => {
    const parsed = record(llava[1] as string);
    const format = { template: '{{ prefix }}{{ step }}', goodToken: '</REASONING>', badToken: '<CONCLUSION>' };
    const shown: Array<readonly string[]> = [];
    const nextToken = (prompt: Prompt, tokens: string[], images: readonly string[]) => {
      shown.push(images);
      return engine.nextTokenLogprobs(prompt, tokens);
    };
    const scorer = makeScorer('reward-model', {}, { name: 'bigram', nextToken, format });
    const texts = [' The difference is 9. ', ' The difference is', ' 18 - 9 = 9 so the answer is 9. '];
    const ranking = await scorer.rank(candidates(texts), { ...context(engine, 2), record: parsed, prefix: 'so far' });
    assert.deepEqual(
      shown,
      texts.map(() => parsed.images),
      'a vision-language reward model is shown the record image with each step',
    );
    for (const [i, text] of texts.entries()) {
      const [good, bad] = await engine.nextTokenLogprobs({ text: `so far${text}` }, ['</REASONING>', '<CONCLUSION>']);
      assert.ok(good !== undefined && bad !== undefined && good < 0 && bad < 0);
      assert.ok(Math.abs((ranking.scores[i] ?? -1) - Math.exp(good) / (Math.exp(good) + Math.exp(bad))) < 1e-9);
    }
    assert.deepEqual(
      ranking.order,
      [0, 1, 2].sort((a, b) => (ranking.scores[b] ?? 0) - (ranking.scores[a] ?? 0) || a - b),
    );
    await assert.rejects(engine.nextTokenLogprobs({ text: 'x' }, ['two tokens']), /'two tokens' is \d+ tokens for .*; a reward token must be one/);
    assert.throws(() => makeScorer('reward-model'), /set cotStudio.rewardModel.model/);
  });

  it('regenerates the rest stage by stage, each from the winner before it', async () => {
    const parsed = record(llava[1] as string);
    const result = await beamSearch(engine, makeScorer('logprob'), engine, parsed, { side: 'primary' }, 1, {
      ...DEFAULT_BEAM,
      candidates: 8,
      seed: 11,
      maxTokens: 120,
      rest: true,
    });
    assert.ok(result.stages.length >= 1);
    result.stages.forEach((stage, i) => {
      assert.equal(stage.segment, 1 + i);
      const previous = result.stages[i - 1];
      if (previous?.chosen !== undefined) {
        const winner = previous.candidates[previous.chosen]?.text ?? '';
        assert.ok(
          stage.prefix.includes(`${winner} </${previous.label}>`) || stage.prefix.includes(`${winner}</${previous.label}>`),
          `stage ${stage.label} continues from the ${previous.label} winner`,
        );
      }
    });
    const complete = result.stages.every((stage) => stage.chosen !== undefined);
    if (complete) assert.equal(result.stages.length, 3, 'CAPTION, REASONING, CONCLUSION');
  });
});
