import type { Backend } from '../../backends/types';
import { STRUCTURES, type Structure, structureOf } from '../../dataset/formats/structure';
import { reflectionText } from '../../dataset/operations';
import type { ParsedRecord, Segment } from '../../dataset/record';
import { answersMatch } from '../../rewards';
import type { JudgeTemplates } from '../scorers';
import { judgeAnswer } from '../scorers/answerJudge';
import { judgeStep } from '../scorers/stepJudge';
import { foreignTag, type ReplyTarget, responseOf, segmentRequest } from '../segmentPrompt';
import { chainSteps, chainText } from './chainSteps';
import { continuationRegex } from './continuationGrammar';
import { type ChainJudge, type CoMctsResult, coMcts, type Policy } from './coMcts';
import { type ReflectionProposal, reflectionProposals } from './reflection';
import type { SearchTree } from './tree';

export interface MctsOptions {
  /** The budget: one iteration per continuation written (Mulberry: 20). */
  iterations: number;
  /** Exploration constant of the UCB. */
  c: number;
  /** Steps the judges score below this are errors. */
  threshold: number;
  /** Continuations each policy writes per expansion, in one batch (K samples of one model). */
  samples: number;
  /** Mulberry samples continuations at 0.9. */
  temperature: number;
  topP: number;
  maxTokens: number;
  /** How many candidates for the segment the best leaves give. */
  candidates: number;
  seed: number;
  reflectionPhrase: string;
  /**
   * How a finished chain's final answer is checked against the ground truth: the product's answer rules, or
   * (Mulberry) the first judge asked yes / no, the rules deciding when it gives no verdict.
   */
  answerCheck: 'rules' | 'judge';
}

export const DEFAULT_MCTS: Omit<MctsOptions, 'seed' | 'reflectionPhrase'> = {
  answerCheck: 'rules',
  iterations: 20,
  c: 0.5,
  threshold: 0,
  samples: 4,
  temperature: 0.9,
  topP: 0.95,
  maxTokens: 512,
  candidates: 4,
};

/** A judge of steps and its weight in the mean (Mulberry's released data: 0.7 and 0.3). */
export interface WeightedJudge {
  backend: Backend;
  weight: number;
  templates: JudgeTemplates;
}

export interface MctsHooks {
  signal?: AbortSignal;
  /** After every round: the tree as it stands. */
  onRound?: (tree: SearchTree, iterations: number) => void;
}

/** A candidate for the regenerated segment, read off a leaf's path. */
export interface MctsCandidate {
  text: string;
  /** V of the leaf it came from. */
  score: number;
  /** The tree node that starts the segment, and the leaf. */
  node: number;
  leaf: number;
  correct: boolean | undefined;
}

/** A reflection proposal as the record would take it: the response from the segment's start to its end. */
export interface MctsReflection {
  /** Replaces the response from the regenerated segment's first character to the end of the response. */
  text: string;
  wrong: string;
  correction: string;
}

/** A step-level preference from siblings: the segment as the best leaf writes it, against a sibling the judges cut. */
export interface SiblingPair {
  chosen: string;
  rejected: string;
}

export interface MctsSearchResult {
  search: CoMctsResult;
  candidates: MctsCandidate[];
  siblingPairs: SiblingPair[];
  reflections: MctsReflection[];
  /** Per node (same index as the tree's nodes): each judge's rating of the step, null when it gave none. */
  ratings: Array<Array<number | null>>;
  judgeCalls: number;
  notes: string[];
  model: string;
  /** The fewest of the prompt's images a policy saw; undefined when no backend said. */
  imagesSeen: number | undefined;
  tokensComputed: number;
  /** Generated tokens that ended up in the tree, by the share of their text that was kept. */
  tokensKept: number;
  /** Every generated token, kept or cut. */
  tokensGenerated: number;
}

/** The text of the segment that starts at `at` in `response`, read as the record's structure reads it. */
function segmentTextAt(structure: Structure | null, response: string, at: number): string {
  if (structure === null) return response.slice(at);
  const segment = STRUCTURES[structure].segments({ text: response, path: [] }).find((found) => found.span[0] <= at && at < found.span[1]);
  return segment ? response.slice(at, segment.span[1]) : response.slice(at);
}

/**
 * CoMCTS (Mulberry) on one segment of a record: the root is the response before the segment; every policy
 * continues the selected node's chain to the end of the response (K samples per model at temperature 0.9),
 * the continuation is cut into the record's segments (`<think>` blocks into paragraphs), and the judges rate
 * each new step (weighted mean). With a ground truth the final answer is checked by the product's answer rules,
 * and a correct one ends the search. Candidates for the segment come from the best leaves.
 */
export async function mctsSearch(
  policies: readonly Backend[],
  judges: readonly WeightedJudge[],
  record: ParsedRecord,
  reply: ReplyTarget,
  segmentIndex: number,
  options: MctsOptions,
  hooks: MctsHooks = {},
): Promise<MctsSearchResult> {
  if (judges.length === 0) throw new Error('the tree search needs at least one step judge');
  const response = responseOf(record, reply);
  const { segment } = segmentRequest(record, reply, segmentIndex);
  const rootPrefix = response.text.slice(0, segment.span[0]);
  const structure = structureOf(record.format, response.text);
  const signalOption = hooks.signal ? { signal: hooks.signal } : {};
  let tokensComputed = 0;
  let tokensKept = 0;
  let tokensGenerated = 0;
  let judgeCalls = 0;
  let iterations = 0;
  /** Steps no judge gave a verdict for, even after a retry: scored neutral. */
  let unjudged = 0;
  /** Final answers the judge gave no verdict on: the answer rules decided them. */
  let unjudgedAnswers = 0;
  let model = policies[0]?.name ?? '';
  let imagesSeen: number | undefined;
  const notes: string[] = [];
  /** Ratings per step text after its prefix, so the tree can show every judge's verdict. */
  const ratingsOf = new Map<string, Array<number | null>>();
  const stepKey = (prefix: string, step: string) => JSON.stringify([prefix, step]);

  const modelPolicies: Policy[] = policies.map((backend) => ({
    name: backend.name,
    async expand(prefix, seed) {
      const written = rootPrefix + chainText(prefix);
      const { request } = segmentRequest(record, reply, segmentIndex, written);
      // The continuation runs to the end of the response, no stop at the segment's end, under the response's grammar.
      const regex = continuationRegex(structure, response, segmentIndex, written);
      const result = await backend.generate(
        {
          ...request,
          sampling: {
            n: options.samples,
            seed,
            temperature: options.temperature,
            topP: options.topP,
            maxTokens: options.maxTokens,
            ...(regex !== undefined && { regex }),
          },
        },
        signalOption,
      );
      tokensComputed += result.tokensComputed;
      model = result.model;
      if (result.imagesSeen !== undefined) imagesSeen = Math.min(imagesSeen ?? result.imagesSeen, result.imagesSeen);
      return result.candidates.map((candidate) => {
        const steps = chainSteps(structure, written, candidate.text);
        tokensGenerated += candidate.tokens.length;
        // A step holding another segment's tag breaks the record's format: the chain ends before it.
        const malformed = steps.findIndex((step) => foreignTag(step.text) !== undefined);
        if (malformed >= 0) return { steps: steps.slice(0, malformed), finished: false, tokens: candidate.tokens.length };
        // A chain cut by the token limit ends mid-step: that step is not one.
        const finished = candidate.finishReason === 'eos' || candidate.finishReason === 'stop';
        return { steps: finished ? steps : steps.slice(0, -1), finished, tokens: candidate.tokens.length };
      });
    },
  }));

  const checkAnswer = async (response: string, reference: string): Promise<boolean> => {
    const [first] = judges;
    if (options.answerCheck === 'judge' && first) {
      const { verdict, calls } = await judgeAnswer(
        first.templates,
        { record, segment, prefix: '', judge: first.backend, seed: options.seed, ...signalOption },
        reference,
        response,
      );
      judgeCalls += calls;
      if (verdict !== undefined) return verdict;
      unjudgedAnswers++;
    }
    return answersMatch(response, reference);
  };

  const judge: ChainJudge = {
    async score(prefix, steps, finished) {
      let before = rootPrefix + chainText(prefix);
      const scores: number[] = [];
      for (const step of steps) {
        const ratings: Array<number | null> = [];
        for (const [j, entry] of judges.entries()) {
          const verdict = await judgeStep(
            entry.templates,
            { record, segment, prefix: before, judge: entry.backend, seed: options.seed + j, ...signalOption },
            step.text,
          );
          judgeCalls += verdict.calls;
          ratings.push(verdict.rating ?? null);
        }
        if (ratings.every((rating) => rating === null)) unjudged++;
        const weight = judges.reduce((sum, entry, j) => sum + (ratings[j] === null ? 0 : entry.weight), 0);
        // A judge without a verdict leaves the mean to the others; with none, the step is neutral.
        scores.push(weight === 0 ? 0 : judges.reduce((sum, entry, j) => sum + entry.weight * (ratings[j] ?? 0), 0) / weight);
        ratingsOf.set(stepKey(before, step.text), ratings);
        before += step.text + (step.after ?? '');
      }
      const correct = record.groundTruth === null || !finished ? undefined : await checkAnswer(before, record.groundTruth);
      return { scores, ...(correct === undefined ? {} : { correct }) };
    },
  };

  // Mulberry drops a chain whose image description is wrong: nothing after a wrong description is worth keeping.
  const firstStepIsImageDescription = segment.kind === 'section' && /^image description$/i.test(segment.label);
  const search = await coMcts(
    rootPrefix,
    modelPolicies,
    judge,
    { iterations: options.iterations, c: options.c, threshold: options.threshold, seed: options.seed, firstStepIsImageDescription },
    {
      ...signalOption,
      onRound: (round, tree) => {
        for (const chain of round.chains) {
          const written = chainText(chain.steps).length;
          if (written > 0) tokensKept += ((chain.tokens ?? 0) * chainText(chain.added.map((id) => tree.node(id))).length) / written;
        }
        iterations += round.chains.length;
        hooks.onRound?.(tree, iterations);
      },
    },
  );
  const { tree } = search;
  if (unjudged > 0) notes.push(`${unjudged} ${unjudged === 1 ? 'step' : 'steps'} got no verdict from the judge after a retry and counted as neutral`);
  if (unjudgedAnswers > 0)
    notes.push(
      `${unjudgedAnswers} final ${unjudgedAnswers === 1 ? 'answer' : 'answers'} got no yes/no verdict after a retry and were checked by the answer rules`,
    );
  const ratings = tree.nodes.map((node) =>
    node.parent === null ? [] : (ratingsOf.get(stepKey(rootPrefix + chainText(tree.chain(node.parent)), node.text)) ?? []),
  );
  const candidates = bestCandidates(tree, structure, rootPrefix, options.candidates);
  return {
    search,
    candidates,
    siblingPairs: siblingPairs(search, candidates[0], structure, rootPrefix, options),
    reflections: reflectionProposals(search, options.reflectionPhrase, options.threshold).map((proposal) =>
      reflectionOf(proposal, segment.kind, options.reflectionPhrase),
    ),
    ratings,
    judgeCalls,
    notes,
    model,
    imagesSeen,
    tokensComputed,
    tokensKept: Math.round(tokensKept),
    tokensGenerated,
  };
}

/**
 * The segment's text on the paths to the best leaves (correct answers first, then by V), one candidate per
 * distinct text. The path's response is read again with the record's structure, so a `<think>` block made of
 * several paragraph nodes gives the whole block.
 */
function bestCandidates(tree: SearchTree, structure: Structure | null, rootPrefix: string, limit: number): MctsCandidate[] {
  const leaves = tree.nodes
    .filter((node) => node.id !== 0 && node.children.length === 0)
    .sort((a, b) => Number(b.correct === true) - Number(a.correct === true) || b.value - a.value);
  const candidates: MctsCandidate[] = [];
  const seen = new Set<string>();
  for (const leaf of leaves) {
    const text = segmentTextAt(structure, rootPrefix + chainText(tree.chain(leaf.id)), rootPrefix.length);
    if (text.trim() === '' || foreignTag(text) !== undefined || seen.has(text)) continue;
    seen.add(text);
    candidates.push({ text, score: leaf.value, node: tree.path(leaf.id)[1] as number, leaf: leaf.id, correct: leaf.correct });
    if (candidates.length >= limit) break;
  }
  return candidates;
}

/**
 * Pairs at the regenerated segment (Mulberry's step-level siblings, MPO-style): chains written from the root
 * whose first step the judges called wrong, each against the best candidate. Deeper siblings continue a prefix
 * the record does not hold, so they give reflection proposals instead.
 */
function siblingPairs(
  search: CoMctsResult,
  best: MctsCandidate | undefined,
  structure: Structure | null,
  rootPrefix: string,
  options: MctsOptions,
): SiblingPair[] {
  if (!best) return [];
  const pairs: SiblingPair[] = [];
  const seen = new Set<string>([best.text]);
  for (const round of search.rounds.filter((entry) => entry.selected === 0)) {
    for (const chain of round.chains) {
      const [first] = chain.steps;
      if (!first || first.score >= options.threshold) continue;
      const rejected = segmentTextAt(structure, rootPrefix + chainText(chain.steps), rootPrefix.length);
      if (rejected.trim() === '' || seen.has(rejected)) continue;
      seen.add(rejected);
      pairs.push({ chosen: best.text, rejected });
      if (pairs.length >= options.candidates) return pairs;
    }
  }
  return pairs;
}

/**
 * A proposal as the record takes it: the chain from the segment's start with the wrong step, the phrase and
 * the correct sibling in the wrong step's place, joined as an annotator's reflection is (`reflectionText`).
 */
function reflectionOf(proposal: ReflectionProposal, kind: Segment['kind'], phrase: string): MctsReflection {
  const [first, ...rest] = proposal.correction;
  const correction = chainText(proposal.correction);
  if (!first) return { text: chainText(proposal.prefix) + proposal.wrong.text, wrong: proposal.wrong.text, correction };
  // The correct sibling continues the same step, so a `###` step keeps the header it already has.
  const joined = reflectionText({ kind: kind === 'step' ? 'section' : kind, label: '', text: proposal.wrong.text }, phrase, first.text);
  return { text: chainText(proposal.prefix) + joined + (first.after ?? '') + chainText(rest), wrong: proposal.wrong.text, correction };
}
