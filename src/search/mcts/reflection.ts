import type { CoMctsResult } from './coMcts';
import type { ChainStep } from './tree';

/** A Mulberry reflection record built from the search: a wrong step, the phrase, and a sibling's correct continuation. */
export interface ReflectionProposal {
  /** Steps before the wrong one, shared by both chains. */
  prefix: ChainStep[];
  wrong: ChainStep;
  /** The correct step and the rest of its chain. */
  correction: ChainStep[];
  /** All steps in order, the phrase between the wrong step and the correction: what the record would hold. */
  steps: string[];
}

/**
 * Where a chain goes wrong at a step and a sibling written from the same node gets that step right, proposes
 * `prefix + wrong step + phrase + correct step and the rest` (Mulberry §3). Only siblings that reached a
 * correct answer, or have no error, qualify as corrections; each wrong step gives at most one proposal.
 */
export function reflectionProposals(result: Pick<CoMctsResult, 'rounds' | 'tree'>, phrase: string, threshold = 0): ReflectionProposal[] {
  const proposals: ReflectionProposal[] = [];
  const seen = new Set<string>();
  for (const round of result.rounds) {
    const base = result.tree.chain(round.selected);
    for (const wrongChain of round.chains) {
      const at = wrongChain.steps.findIndex((step) => step.score < threshold);
      if (at < 0) continue;
      const shared = wrongChain.steps.slice(0, at).map(({ text, after }) => ({ text, after }));
      const right = round.chains.find(
        (chain) =>
          chain !== wrongChain &&
          chain.correct !== false &&
          chain.steps.length > at &&
          chain.steps.every((step) => step.score >= threshold) &&
          chain.steps.slice(0, at).every((step, i) => step.text === shared[i]?.text),
      );
      if (!right) continue;
      const { text, after } = wrongChain.steps[at] as ChainStep;
      const wrong = { text, after };
      const key = JSON.stringify([round.selected, ...shared.map((step) => step.text), text]);
      if (seen.has(key)) continue;
      seen.add(key);
      const correction = right.steps.slice(at).map(({ text: step, after: glue }) => ({ text: step, after: glue }));
      const prefix = [...base, ...shared];
      proposals.push({ prefix, wrong, correction, steps: [...prefix.map((step) => step.text), `${text} ${phrase}`, ...correction.map((step) => step.text)] });
    }
  }
  return proposals;
}
