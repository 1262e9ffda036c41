import { seededRandom } from '../../random';
import { type ChainStep, pruneChain, type ScoredStep, SearchTree } from './tree';

/** A complete continuation from a prefix, split into steps; `finished` when it reached the end of the response. */
export interface Continuation {
  steps: ChainStep[];
  finished: boolean;
  /** Tokens the model generated for it, when a model wrote it (for the prefix-reuse figures). */
  tokens?: number;
}

/**
 * Members of the collective: a policy writes one continuation per member from a prefix of steps (a model, or
 * K samples of one model in a single batch). Each continuation costs one iteration.
 */
export interface Policy {
  readonly name: string;
  expand(prefix: readonly ChainStep[], seed: number): Promise<Continuation[]>;
}

/**
 * Scores new steps after a prefix (+1 / 0 / -1, a weighted mean over judges), and the final answer of a chain
 * that reached the end of the response when it can.
 */
export interface ChainJudge {
  score(prefix: readonly ChainStep[], steps: readonly ChainStep[], finished: boolean): Promise<{ scores: number[]; correct?: boolean }>;
}

export interface CoMctsOptions {
  /** Iterations in all; a round costs one per continuation the collective writes (Mulberry's budget: 20). */
  iterations: number;
  /** Exploration constant of the UCB (the paper's 0.5). */
  c: number;
  /** Steps scored below this are errors: a chain is cut before its first one. */
  threshold: number;
  seed: number;
  /** Whether the first step of a chain from the root is the image description (dropped when wrong). */
  firstStepIsImageDescription: boolean;
}

export const DEFAULT_COMCTS: Omit<CoMctsOptions, 'seed'> = { iterations: 20, c: 0.5, threshold: 0, firstStepIsImageDescription: false };

export interface CoMctsResult {
  tree: SearchTree;
  /** Node ids from the root to the best leaf. */
  bestPath: number[];
  iterations: number;
  /** A chain's final answer was judged correct. */
  solved: boolean;
  /** Per round: which node was expanded and what each policy's chain became. */
  rounds: Array<{
    selected: number;
    chains: Array<{ policy: string; steps: ScoredStep[]; added: number[]; cut: boolean; correct?: boolean; tokens?: number }>;
  }>;
}

export interface CoMctsHooks {
  signal?: AbortSignal;
  onRound?: (round: CoMctsResult['rounds'][number], tree: SearchTree) => void;
}

/**
 * Collective Monte Carlo tree search (Mulberry, arXiv 2412.18319 §3): select a leaf by UCB, let every policy
 * continue from it, score the new steps, cut each chain at its first error unless one reached a correct
 * answer, add what survives, backpropagate, and stop at a correct answer or when the budget is spent (without a
 * ground truth, always the budget; the best leaf by value wins).
 */
export async function coMcts(
  rootText: string,
  policies: readonly Policy[],
  judge: ChainJudge,
  options: CoMctsOptions,
  hooks: CoMctsHooks = {},
): Promise<CoMctsResult> {
  if (policies.length === 0) throw new Error('the search needs at least one policy');
  const tree = new SearchTree(rootText);
  const random = seededRandom(options.seed);
  const rounds: CoMctsResult['rounds'] = [];
  let iterations = 0;
  let solved = false;
  while (iterations < options.iterations && !solved && !hooks.signal?.aborted) {
    const selected = tree.select(options.c, random);
    const prefix = tree.chain(selected);
    const written = [];
    for (const [k, policy] of policies.entries()) {
      if (hooks.signal?.aborted) break;
      const continuations = await policy.expand(prefix, options.seed + 1000 * rounds.length + k);
      for (const [i, continuation] of continuations.entries()) {
        const judged = continuation.steps.length > 0 ? await judge.score(prefix, continuation.steps, continuation.finished) : { scores: [] };
        written.push({ policy: continuations.length > 1 ? `${policy.name}#${i + 1}` : policy.name, continuation, judged });
        iterations++;
      }
    }
    // A round cut short by a cancel decides nothing.
    if (hooks.signal?.aborted) break;
    solved = written.some(({ continuation, judged }) => continuation.finished && judged.correct === true);
    const round: CoMctsResult['rounds'][number] = { selected, chains: [] };
    const childRewards: number[] = [];
    for (const { policy, continuation, judged } of written) {
      const steps: ScoredStep[] = continuation.steps.map((step, i) => ({ text: step.text, after: step.after ?? '', score: judged.scores[i] ?? 0 }));
      // A wrong final answer is an error at the last step, so the reasoning before it stays to be expanded again.
      const lastStep = steps.at(-1);
      if (continuation.finished && judged.correct === false && lastStep) lastStep.score = Math.min(lastStep.score, options.threshold - 1);
      const correct = continuation.finished && judged.correct === true;
      // Error positioning applies when no chain of the round is correct; a correct chain is kept whole.
      const { kept, cut } =
        solved && correct ? { kept: steps, cut: false } : pruneChain(steps, options.threshold, options.firstStepIsImageDescription && selected === 0);
      const ending = !cut && continuation.finished ? (judged.correct === undefined ? {} : { correct: judged.correct }) : undefined;
      const added = kept.length > 0 ? tree.addChain(selected, kept, ending) : [];
      if (added[0] !== undefined) childRewards.push(tree.node(added[0]).value);
      round.chains.push({
        policy,
        steps,
        added,
        cut,
        ...(judged.correct === undefined ? {} : { correct: judged.correct }),
        ...(continuation.tokens === undefined ? {} : { tokens: continuation.tokens }),
      });
    }
    tree.backpropagate(selected, childRewards);
    rounds.push(round);
    hooks.onRound?.(round, tree);
  }
  return { tree, bestPath: tree.path(tree.bestLeaf()), iterations, solved, rounds };
}
