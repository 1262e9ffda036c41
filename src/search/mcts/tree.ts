/** One step of a reasoning chain in the search tree: a `###` section, a stage, a `<think>` paragraph. */
export interface TreeNode {
  id: number;
  parent: number | null;
  text: string;
  /** The record's text between this step and the next one (closing tag, blank line, next header). */
  after: string;
  depth: number;
  /** N: how often the node was counted in a backpropagation (a new node starts at 1). */
  visits: number;
  /** V: the running mean of rewards below and at the node. */
  value: number;
  /** The judges' scores of this step (weighted mean in `score`), kept for the tree view and provenance. */
  score: number;
  children: number[];
  /** The chain ended here (a final answer, or the end of the response). */
  terminal: boolean;
  /** For terminal nodes with a ground truth: whether the final answer was judged correct. */
  correct?: boolean;
}

/** One step of a chain as a policy wrote it: the segment's text and the markup that follows it. */
export interface ChainStep {
  text: string;
  /** Closing tag, blank line, next opening tag or header: what joins this step to the next. */
  after?: string;
}

/** A step the policy wrote and the judges scored. */
export interface ScoredStep extends ChainStep {
  /** Weighted mean of the judges' +1 / 0 / -1. */
  score: number;
}

/**
 * The CoMCTS tree (Mulberry, arXiv 2412.18319 §3): selection by UCB, expansion by chains of scored steps,
 * and backpropagation of V and N as the paper gives them. Pure bookkeeping; the search loop decides what
 * to expand and when to stop.
 */
export class SearchTree {
  readonly nodes: TreeNode[] = [];

  constructor(rootText = '') {
    this.nodes.push({ id: 0, parent: null, text: rootText, after: '', depth: 0, visits: 1, value: 0, score: 0, children: [], terminal: false });
  }

  node(id: number): TreeNode {
    const node = this.nodes[id];
    if (!node) throw new RangeError(`no node ${id}`);
    return node;
  }

  /** `UCB(s) = V(s) + c * sqrt(ln N(parent) / (1 + N(s)))`. */
  ucb(id: number, c: number): number {
    const node = this.node(id);
    const parentVisits = node.parent === null ? node.visits : this.node(node.parent).visits;
    return node.value + c * Math.sqrt(Math.log(Math.max(1, parentVisits)) / (1 + node.visits));
  }

  /** The steps from below the root down to `id`, as a policy continues them. */
  chain(id: number): ChainStep[] {
    return this.path(id)
      .slice(1)
      .map((at) => ({ text: this.node(at).text, after: this.node(at).after }));
  }

  /** Nodes from the root to `id`, both included. */
  path(id: number): number[] {
    const ids: number[] = [];
    for (let at: number | null = id; at !== null; at = this.node(at).parent) ids.push(at);
    return ids.reverse();
  }

  /**
   * Descends from the root, taking the child with the highest UCB at each level (ties broken by `random`)
   * and never entering a finished chain. It stops at a leaf, or at a node whose children all finished: that
   * node is expanded again, so a search without a ground truth keeps adding siblings until its budget is spent.
   */
  select(c: number, random: () => number): number {
    let id = 0;
    for (;;) {
      const children = this.node(id).children.filter((child) => !this.node(child).terminal);
      if (children.length === 0) return id;
      const scores = children.map((child) => this.ucb(child, c));
      const best = Math.max(...scores);
      const tied = children.filter((_, i) => (scores[i] as number) >= best - 1e-12);
      id = tied[Math.floor(random() * tied.length)] as number;
    }
  }

  /**
   * Adds a chain of steps below `parent`. Each new node's V is the running mean of the step scores on the
   * new chain up to it, and its N is 1. Returns the ids, first to last.
   */
  addChain(parent: number, steps: readonly ScoredStep[], ending?: { correct?: boolean }): number[] {
    const ids: number[] = [];
    let at = parent;
    let sum = 0;
    steps.forEach((step, i) => {
      sum += step.score;
      const id = this.nodes.length;
      const last = i === steps.length - 1;
      const node: TreeNode = {
        id,
        parent: at,
        text: step.text,
        after: step.after ?? '',
        depth: this.node(at).depth + 1,
        visits: 1,
        value: sum / (i + 1),
        score: step.score,
        children: [],
        terminal: last && ending !== undefined,
        ...(last && ending?.correct !== undefined ? { correct: ending.correct } : {}),
      };
      this.nodes.push(node);
      this.node(at).children.push(id);
      ids.push(id);
      at = id;
    });
    return ids;
  }

  /**
   * After chains were added below `selected`: for the selected node and every ancestor,
   * `V <- (N*V + sum of child rewards) / (N + count)`, `N <- N + count`, where the child rewards are the V
   * of the chains' first nodes.
   */
  backpropagate(selected: number, childRewards: readonly number[]): void {
    if (childRewards.length === 0) return;
    const sum = childRewards.reduce((total, reward) => total + reward, 0);
    const count = childRewards.length;
    for (const id of this.path(selected).reverse()) {
      const node = this.node(id);
      node.value = (node.visits * node.value + sum) / (node.visits + count);
      node.visits += count;
    }
  }

  /** The path to the best leaf by value: the correct terminal with the highest V, else the highest-V leaf. */
  bestLeaf(): number {
    const leaves = this.nodes.filter((node) => node.children.length === 0 && node.id !== 0);
    if (leaves.length === 0) return 0;
    const correct = leaves.filter((node) => node.correct === true);
    const pool = correct.length > 0 ? correct : leaves;
    return pool.reduce((best, node) => (node.value > best.value ? node : best)).id;
  }
}

/**
 * Error positioning (CoMCTS step 4): keep a chain up to its first step scored below the threshold; a chain
 * whose first step is already wrong, when that step is the image description, is dropped entirely.
 */
export function pruneChain(steps: readonly ScoredStep[], threshold: number, firstIsImageDescription: boolean): { kept: ScoredStep[]; cut: boolean } {
  const firstWrong = steps.findIndex((step) => step.score < threshold);
  if (firstWrong === -1) return { kept: [...steps], cut: false };
  if (firstWrong === 0 && firstIsImageDescription) return { kept: [], cut: true };
  return { kept: steps.slice(0, firstWrong), cut: true };
}
