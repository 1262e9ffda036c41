import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../src/random';
import { type ChainJudge, coMcts, DEFAULT_COMCTS, type Policy } from '../../src/search/mcts/coMcts';
import { reflectionProposals } from '../../src/search/mcts/reflection';
import { pruneChain, SearchTree } from '../../src/search/mcts/tree';

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} vs ${expected}`);

/** root -> a(+1) -> b(0), root -> c(-1), then the paper's backpropagation from the root. */
function handBuilt(): SearchTree {
  const tree = new SearchTree('question');
  const [a] = tree.addChain(0, [
    { text: 'a', score: 1 },
    { text: 'b', score: 0 },
  ]);
  const [c] = tree.addChain(0, [{ text: 'c', score: -1 }]);
  tree.backpropagate(0, [tree.node(a as number).value, tree.node(c as number).value]);
  return tree;
}

describe('search tree', () => {
  it('gives new nodes the running mean of their chain and N = 1', () => {
    const tree = handBuilt();
    assert.deepEqual(
      tree.nodes.map((node) => [node.text, node.value, node.visits]),
      [
        ['question', 0, 3],
        ['a', 1, 1],
        ['b', 0.5, 1],
        ['c', -1, 1],
      ],
    );
  });

  it('computes UCB = V + c sqrt(ln N(parent) / (1 + N))', () => {
    const tree = handBuilt();
    close(tree.ucb(1, 0.5), 1 + 0.5 * Math.sqrt(Math.log(3) / 2), 'a');
    close(tree.ucb(3, 0.5), -1 + 0.5 * Math.sqrt(Math.log(3) / 2), 'c');
    close(tree.ucb(2, 0.5), 0.5 + 0.5 * Math.sqrt(Math.log(1) / 2), 'b (parent a has N = 1)');
  });

  it('selects down the highest UCB to a leaf, and backpropagates V and N along the path', () => {
    const tree = handBuilt();
    const selected = tree.select(0.5, seededRandom(1));
    assert.equal(selected, 2, 'root -> a -> b');
    const [d] = tree.addChain(2, [{ text: 'd', score: 1 }]);
    tree.backpropagate(2, [tree.node(d as number).value]);
    close(tree.node(2).value, (1 * 0.5 + 1) / 2, 'b');
    assert.equal(tree.node(2).visits, 2);
    close(tree.node(1).value, (1 * 1 + 1) / 2, 'a');
    close(tree.node(0).value, (3 * 0 + 1) / 4, 'root');
    assert.equal(tree.node(0).visits, 4);
  });

  it('breaks UCB ties at random, never enters a finished chain, and expands again above finished ones', () => {
    const tree = new SearchTree();
    tree.addChain(0, [{ text: 'x', score: 0 }]);
    tree.addChain(0, [{ text: 'y', score: 0 }]);
    const picks = new Set(Array.from({ length: 40 }, (_, seed) => tree.select(0.5, seededRandom(seed))));
    assert.deepEqual([...picks].sort(), [1, 2]);
    const done = new SearchTree();
    done.addChain(0, [{ text: 'answer', score: 1 }], { correct: false });
    assert.equal(done.select(0.5, seededRandom(1)), 0, 'every child finished: the root is expanded again');
    const [open] = done.addChain(0, [{ text: 'step', score: 0 }]);
    assert.equal(done.select(0.5, seededRandom(1)), open, 'the open chain is taken, not the finished one');
  });

  it('cuts a chain before its first error and drops one whose image description is wrong', () => {
    const steps = [
      { text: 'describe', score: 1 },
      { text: 'ok', score: 0 },
      { text: 'bad', score: -1 },
      { text: 'after', score: 1 },
    ];
    assert.deepEqual(
      pruneChain(steps, 0, true).kept.map((s) => s.text),
      ['describe', 'ok'],
    );
    assert.deepEqual(pruneChain([{ text: 'wrong description', score: -1 }, ...steps], 0, true), { kept: [], cut: true });
    assert.deepEqual(pruneChain([{ text: 'wrong first step', score: -1 }, ...steps], 0, false), { kept: [], cut: true });
    assert.equal(pruneChain(steps.slice(0, 2), 0, true).cut, false);
  });

  it('prefers a correct leaf, then the highest value, as the best path', () => {
    const tree = new SearchTree();
    tree.addChain(0, [{ text: 'high', score: 1 }]);
    const [, last] = tree.addChain(
      0,
      [
        { text: 'low', score: 0 },
        { text: 'right answer', score: 0 },
      ],
      { correct: true },
    );
    assert.equal(tree.bestLeaf(), last);
  });
});

/** Scripted policies and judge standing in for models: each policy writes a fixed chain for a prefix. */
function scripted(name: string, write: (prefix: readonly string[]) => string[]): Policy {
  return { name, expand: async (prefix) => [{ steps: write(prefix.map((step) => step.text)).map((text) => ({ text })), finished: true }] };
}

/** Scores `bad...` steps -1 and others +1; a chain is correct when it ends in `answer 42`. */
const judge: ChainJudge = {
  score: async (prefix, steps) => ({
    scores: steps.map((step) => (step.text.startsWith('bad') ? -1 : 1)),
    correct: [...prefix, ...steps].at(-1)?.text === 'answer 42',
  }),
};

describe('CoMCTS', () => {
  it('finds a planted correct path: errors are cut, the search resumes from the good prefix', async () => {
    // The first policy always errs at the second step; the second one only knows the answer after "step 2".
    const policies = [
      scripted('erring', (prefix) => [...(prefix.length === 0 ? ['step 1'] : []), 'bad step', 'answer 7']),
      scripted('careful', (prefix) => (prefix.at(-1) === 'step 2' ? ['answer 42'] : prefix.length === 0 ? ['step 1', 'step 2', 'answer 7'] : ['step 2'])),
    ];
    const result = await coMcts('Q', policies, judge, { ...DEFAULT_COMCTS, seed: 3 });
    assert.equal(result.solved, true);
    const texts = result.bestPath.map((id) => result.tree.node(id).text);
    assert.deepEqual(texts, ['Q', 'step 1', 'step 2', 'answer 42']);
    assert.ok(result.iterations <= DEFAULT_COMCTS.iterations);
    assert.ok(
      result.tree.nodes.every((node) => !node.text.startsWith('bad')),
      'wrong steps never enter the tree',
    );
  });

  it('spends its budget, one iteration per policy per round, when no answer is correct', async () => {
    const policies = [scripted('a', () => ['step', 'answer 7']), scripted('b', () => ['other', 'answer 8'])];
    const result = await coMcts('Q', policies, judge, { ...DEFAULT_COMCTS, iterations: 6, seed: 1 });
    assert.equal(result.solved, false);
    assert.equal(result.iterations, 6);
    assert.equal(result.rounds.length, 3);
  });

  it('without a ground truth keeps finished chains whole, spends the budget, and picks the best value', async () => {
    const noTruth: ChainJudge = { score: async (_, steps) => ({ scores: steps.map((step) => (step.text.includes('good') ? 1 : 0)) }) };
    const result = await coMcts('Q', [scripted('plain', () => ['meh', 'answer 7']), scripted('better', () => ['good', 'answer 8'])], noTruth, {
      ...DEFAULT_COMCTS,
      iterations: 6,
      seed: 1,
    });
    assert.equal(result.rounds.length, 3, 'both chains finish each round; the search expands above them until the budget is spent');
    assert.equal(result.iterations, 6);
    assert.ok(
      result.rounds.every((round) => !result.tree.node(round.selected).terminal),
      'a finished chain is never expanded',
    );
    assert.equal(result.solved, false);
    assert.deepEqual(
      result.bestPath.map((id) => result.tree.node(id).text),
      ['Q', 'good', 'answer 8'],
    );
  });

  it('re-expands the reasoning before a wrong final answer', async () => {
    const result = await coMcts('Q', [scripted('one', () => ['answer 7'])], judge, { ...DEFAULT_COMCTS, iterations: 4, seed: 1 });
    assert.equal(result.rounds.length, 4, 'the wrong answer is cut; the root stays open until the budget is spent');
    assert.equal(result.tree.nodes.length, 1);
  });
});

describe('reflection proposals', () => {
  it('join a wrong step, the phrase and a sibling chain that gets it right', async () => {
    const policies = [
      scripted('erring', (prefix) => (prefix.length === 0 ? ['step 1', 'bad step', 'answer 7'] : ['bad again', 'answer 7'])),
      scripted('careful', (prefix) => (prefix.length === 0 ? ['step 1', 'step 2', 'answer 42'] : ['answer 42'])),
    ];
    const result = await coMcts('Q', policies, judge, { ...DEFAULT_COMCTS, seed: 5 });
    const proposals = reflectionProposals(result, 'I think I have made a mistake. Let me rethink it.');
    assert.equal(proposals.length, 1);
    assert.deepEqual(proposals[0], {
      prefix: [{ text: 'step 1', after: '' }],
      wrong: { text: 'bad step', after: '' },
      correction: [
        { text: 'step 2', after: '' },
        { text: 'answer 42', after: '' },
      ],
      steps: ['step 1', 'bad step I think I have made a mistake. Let me rethink it.', 'step 2', 'answer 42'],
    });
  });
});
