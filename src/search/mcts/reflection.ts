import type { CoMctsResult } from './coMcts';

/** A Mulberry reflection record built from the search: a wrong step, the phrase, and a sibling's correct continuation. */
export interface ReflectionProposal {
  /** Steps before the wrong one, shared by both chains. */
  prefix: string[];
  wrong: string;
  /** The correct step and the rest of its chain. */
  correction: string[];
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
    const base = result.tree.path(round.selected).slice(1).map((id) => result.tree.node(id).text);
    for (const wrongChain of round.chains) {
      const at = wrongChain.steps.findIndex((step) => step.score < threshold);
      if (at < 0) continue;
      const shared = wrongChain.steps.slice(0, at).map((step) => step.text);
      const right = round.chains.find(
        (chain) =>
          chain !== wrongChain &&
          chain.correct !== false &&
          chain.steps.length > at &&
          chain.steps.every((step) => step.score >= threshold) &&
          chain.steps.slice(0, at).every((step, i) => step.text === shared[i]),
      );
      if (!right) continue;
      const wrong = (wrongChain.steps[at] as { text: string }).text;
      const key = `${round.selected}\u0000${shared.join('\u0000')}\u0000${wrong}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const correction = right.steps.slice(at).map((step) => step.text);
      const prefix = [...base, ...shared];
      proposals.push({ prefix, wrong, correction, steps: [...prefix, `${wrong} ${phrase}`, ...correction] });
    }
  }
  return proposals;
}
