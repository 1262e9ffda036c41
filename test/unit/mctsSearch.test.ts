import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Backend, GenerateOptions, GenerationRequest } from '../../src/backends/types';
import { DEFAULT_REFLECTION_PHRASE } from '../../src/dataset/annotations';
import { readRecordState } from '../../src/dataset/operations';
import { LocalEngine } from '../../src/engine/localEngine';
import type { GenerationResult } from '../../src/protocol';
import { chainSteps, chainText } from '../../src/search/mcts/chainSteps';
import { DEFAULT_MCTS, mctsSearch } from '../../src/search/mcts/modelSearch';
import { JudgeTemplates } from '../../src/search/scorers';
import { makeTestModel } from '../../src/testModel';

// Each stage ends on its own word, so even a bigram model closes stages with the right tag most of the time.
const RIGHT =
  '<SUMMARY>Count the apples</SUMMARY>\n\n<CAPTION>Two red and two green fruit</CAPTION>\n\n<REASONING>So two plus two is four</REASONING>\n\n<CONCLUSION>4</CONCLUSION>';
const WRONG =
  '<SUMMARY>Count the apples</SUMMARY>\n\n<CAPTION>Two red and three green fruit</CAPTION>\n\n<REASONING>So two plus three is five</REASONING>\n\n<CONCLUSION>5</CONCLUSION>';

/** An LLaVA-CoT record whose response is the wrong one; its ground truth is 4. */
const RECORD_LINE = JSON.stringify({
  id: 'apples',
  answer: '4',
  conversations: [
    { from: 'human', value: 'How many apples are there?' },
    { from: 'gpt', value: WRONG },
  ],
});

/**
 * A scripted judge standing in for a judge model (a bigram model cannot judge): a step that counts three
 * apples or says five is incorrect, any other step correct.
 */
class ScriptedStepJudge implements Backend {
  readonly name = 'scripted-step-judge';
  calls = 0;
  answerCalls = 0;

  async generate(request: GenerationRequest, _options?: GenerateOptions): Promise<GenerationResult> {
    this.calls++;
    const prompt = 'messages' in request.prompt ? (request.prompt.messages[0]?.content ?? '') : request.prompt.text;
    const step = /Next step: ([\s\S]*?)\n\nIs the next step/.exec(prompt)?.[1];
    const response = /\n\nResponse: ([\s\S]*?)\n\nDoes the response reach/.exec(prompt)?.[1];
    if (response !== undefined) this.answerCalls++;
    // As a final-answer judge it goes by the reasoning: a response that says "four" reaches the answer.
    const text = response !== undefined ? (/\bfour\b/.test(response) ? 'yes' : 'no') : /three|five|\b5\b/.test(step ?? '') ? 'incorrect' : 'correct';
    return {
      promptTokens: [],
      candidates: [{ text, tokens: [], logprob: 0, tokenLogprobs: [], finishReason: 'eos' }],
      ep: 'cpu',
      model: this.name,
      timing: { loadMs: 0, generateMs: 0 },
      tokensComputed: 0,
    };
  }

  async dispose(): Promise<void> {}
}

describe('chain steps', () => {
  it('cut a continuation into the record segments, each keeping the markup after it', () => {
    const prefix = '<SUMMARY> Count. </SUMMARY>\n\n<CAPTION>';
    const continuation = ' Apples. </CAPTION>\n\n<REASONING> Two and two. </REASONING>\n\n<CONCLUSION> 4 </CONCLUSION>';
    const steps = chainSteps('stages', prefix, continuation);
    assert.deepEqual(steps, [
      { text: ' Apples. ', after: '</CAPTION>\n\n<REASONING>' },
      { text: ' Two and two. ', after: '</REASONING>\n\n<CONCLUSION>' },
      { text: ' 4 ', after: '</CONCLUSION>' },
    ]);
    assert.equal(chainText(steps), continuation);
  });

  it('cut a <think> block into paragraphs and Mulberry text into sections', () => {
    const think = chainSteps('think-answer', '<think>', 'First.\n\nSecond.\n\nThird.</think><answer>7</answer>');
    assert.deepEqual(
      think.map((step) => step.text),
      ['First.', 'Second.', 'Third.', '7'],
    );
    assert.equal(chainText(think), 'First.\n\nSecond.\n\nThird.</think><answer>7</answer>');
    const sections = chainSteps('sections', '### Image Description:\n', 'A chart.\n\n### Step 1:\nAdd.\n\n### The final answer is:\n7');
    assert.equal(sections.length, 3);
    assert.equal(chainText(sections), 'A chart.\n\n### Step 1:\nAdd.\n\n### The final answer is:\n7');
  });
});

describe('tree search with the bigram model', () => {
  let dir: string;
  let engine: LocalEngine;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-mcts-'));
    const corpus = path.join(dir, 'corpus.jsonl');
    // Both chains equally often: the model writes the right and the wrong counts at random, mixed per step.
    fs.writeFileSync(corpus, `${Array.from({ length: 20 }, (_, i) => JSON.stringify({ text: i % 2 ? RIGHT : WRONG })).join('\n')}\n`);
    makeTestModel(path.join(dir, 'model'), { kind: 'bigram', corpus: [corpus], hidden: 128, vocab: 400 });
    engine = await LocalEngine.load(path.join(dir, 'model'), { provider: 'cpu' });
  });

  after(async () => {
    await engine.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds the planted correct path: wrong steps are cut, the answer is checked, siblings give reflections', async () => {
    const { parsed } = readRecordState(RECORD_LINE);
    const judge = new ScriptedStepJudge();
    const rounds: number[] = [];
    const result = await mctsSearch(
      [engine],
      [{ backend: judge, weight: 1, templates: new JudgeTemplates() }],
      parsed,
      { side: 'primary' },
      1,
      {
        ...DEFAULT_MCTS,
        iterations: 40,
        maxTokens: 80,
        seed: 5,
        reflectionPhrase: DEFAULT_REFLECTION_PHRASE,
      },
      { onRound: (_, iterations) => rounds.push(iterations) },
    );
    const { search } = result;
    assert.equal(search.solved, true, `no correct answer in ${search.iterations} iterations`);
    assert.ok(search.iterations <= 40);
    assert.deepEqual(
      rounds,
      search.rounds.map((_, i) => search.rounds.slice(0, i + 1).reduce((sum, round) => sum + round.chains.length, 0)),
    );
    const best = search.bestPath.map((id) => search.tree.node(id));
    const bestText = best.map((node) => node.text + node.after).join('');
    assert.match(bestText, /<CONCLUSION>4<\/CONCLUSION>/);
    // Error positioning cuts wrong steps; only a chain that reached the right answer is kept whole (Mulberry).
    const onCorrectChain = (id: number) => search.tree.nodes.some((node) => node.correct === true && search.tree.path(node.id).includes(id));
    for (const node of search.tree.nodes.slice(1)) {
      if (/three|five|\b5\b/.test(node.text)) assert.ok(onCorrectChain(node.id), `a step the judge called wrong entered the tree: ${node.text}`);
    }
    assert.ok(judge.calls > 0);
    // The candidates are the CAPTION segment (segment 1), the best leaf's first.
    assert.ok(result.candidates.length > 0);
    assert.equal(result.candidates[0]?.correct, true);
    for (const candidate of result.candidates) assert.doesNotMatch(candidate.text, /<\/?CAPTION>|<REASONING>/);
    assert.ok(result.tokensComputed > 0 && result.tokensKept > 0 && result.tokensKept <= result.tokensGenerated);
    assert.equal(result.ratings.length, search.tree.nodes.length);
    // Each step holds the judge's verdict on it: a wrong count is rated -1, anything else 1.
    const first = search.tree.node(search.bestPath[1] as number);
    assert.deepEqual(result.ratings[first.id], [/three|five|\b5\b/.test(first.text) ? -1 : 1]);
    // Siblings of the regenerated segment the judge cut are pairs against the best candidate.
    for (const pair of result.siblingPairs) {
      assert.equal(pair.chosen, result.candidates[0]?.text);
      assert.match(pair.rejected, /three|five|\b5\b/);
    }
    for (const reflection of result.reflections) {
      assert.ok(reflection.text.includes(`${reflection.wrong.trim()} ${DEFAULT_REFLECTION_PHRASE} `), reflection.text);
      assert.match(reflection.wrong, /three|five|\b5\b/);
    }
  });

  it('asks the judge whether a finished chain reaches the answer when told to (Mulberry), and only then', async () => {
    const { parsed } = readRecordState(RECORD_LINE);
    const judge = new ScriptedStepJudge();
    const found = await mctsSearch([engine], [{ backend: judge, weight: 1, templates: new JudgeTemplates() }], parsed, { side: 'primary' }, 1, {
      ...DEFAULT_MCTS,
      iterations: 40,
      maxTokens: 80,
      seed: 2,
      reflectionPhrase: DEFAULT_REFLECTION_PHRASE,
      answerCheck: 'judge',
    });
    assert.ok(judge.answerCalls > 0);
    const finished = found.search.rounds.flatMap((round) => round.chains).filter((chain) => chain.correct !== undefined).length;
    assert.equal(judge.answerCalls, finished, 'one yes/no per finished chain');
    assert.equal(found.search.solved, true);
    const best = found.search.bestPath.map((id) => found.search.tree.node(id).text).join(' ');
    assert.match(best, /\bfour\b/, 'the judge, not the rules, decided what is correct');
  });

  it('is reproducible from its seed', async () => {
    const { parsed } = readRecordState(RECORD_LINE);
    const run = () =>
      mctsSearch([engine], [{ backend: new ScriptedStepJudge(), weight: 1, templates: new JudgeTemplates() }], parsed, { side: 'primary' }, 2, {
        ...DEFAULT_MCTS,
        iterations: 8,
        maxTokens: 60,
        seed: 9,
        reflectionPhrase: DEFAULT_REFLECTION_PHRASE,
      });
    const [a, b] = [await run(), await run()];
    assert.deepEqual(a.search.tree.nodes, b.search.tree.nodes);
  });
});
