import { BYTE_CHARS } from './byteLevel';
import { PairHeap } from './pairHeap';

/** Pair keys pack two symbol ids into one number; symbol ids stay far below this. */
const PAIR_BASE = 2 ** 21;

export interface LearnedMerges {
  /** Merge rules in rank order, as pairs of byte-level strings. */
  merges: [string, string][];
  /** The tokens the merges created, in order; shorter than `merges` when two merges spell the same token. */
  tokens: string[];
}

export interface TrainOptions {
  /** How many new tokens to learn at most. */
  newTokens: number;
  /** Merges are learned only from pairs seen at least this often. */
  minFrequency: number;
  /** Token strings the vocabulary already holds for other purposes; merges that would spell them are skipped. */
  avoid: ReadonlySet<string>;
}

const pairsOf = (word: readonly number[]): number[] => word.slice(1).map((symbol, i) => word[i] * PAIR_BASE + symbol);

function mergeWord(word: readonly number[], a: number, b: number, merged: number): number[] | undefined {
  const out: number[] = [];
  let changed = false;
  for (let i = 0; i < word.length; i++) {
    if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
      out.push(merged);
      changed = true;
      i++;
    } else {
      out.push(word[i]);
    }
  }
  return changed ? out : undefined;
}

/**
 * Byte-pair encoding training over word counts (each distinct pre-tokenized word once, with its count),
 * which keeps training to seconds on a corpus of a few hundred kilobytes. Pair counts are updated only for
 * the words a merge touches.
 */
export function learnMerges(wordCounts: ReadonlyMap<string, number>, options: TrainOptions): LearnedMerges {
  const symbols = [...BYTE_CHARS];
  const symbolIds = new Map(symbols.map((symbol, id) => [symbol, id]));
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [word, count] of wordCounts) {
    words.push(Array.from(word, (char) => symbolIds.get(char) as number));
    counts.push(count);
  }

  const pairCounts = new Map<number, number>();
  const wordsWithPair = new Map<number, Set<number>>();
  const changed = new Set<number>();
  const adjust = (word: readonly number[], delta: number, index: number) => {
    for (const pair of pairsOf(word)) {
      const count = (pairCounts.get(pair) ?? 0) + delta;
      if (count > 0) pairCounts.set(pair, count);
      else pairCounts.delete(pair);
      changed.add(pair);
      if (delta > 0) {
        let set = wordsWithPair.get(pair);
        if (!set) {
          set = new Set();
          wordsWithPair.set(pair, set);
        }
        set.add(index);
      }
    }
  };
  words.forEach((word, index) => {
    adjust(word, counts[index], index);
  });
  const heap = new PairHeap();
  for (const [pair, count] of pairCounts) heap.push(pair, count);
  changed.clear();

  const merges: [string, string][] = [];
  const tokens: string[] = [];
  const skipped = new Set<number>();
  while (tokens.length < options.newTokens) {
    const top = heap.pop();
    if (!top) break;
    if (pairCounts.get(top.key) !== top.count || skipped.has(top.key)) continue;
    if (top.count < options.minFrequency) break;
    const a = Math.floor(top.key / PAIR_BASE);
    const b = top.key % PAIR_BASE;
    const spelled = symbols[a] + symbols[b];
    if (options.avoid.has(spelled)) {
      skipped.add(top.key);
      continue;
    }
    let merged = symbolIds.get(spelled);
    if (merged === undefined) {
      merged = symbols.push(spelled) - 1;
      symbolIds.set(spelled, merged);
      tokens.push(spelled);
    }
    merges.push([symbols[a], symbols[b]]);
    for (const index of wordsWithPair.get(top.key) ?? []) {
      const next = mergeWord(words[index], a, b, merged);
      if (!next) continue;
      adjust(words[index], -counts[index], index);
      adjust(next, counts[index], index);
      words[index] = next;
    }
    wordsWithPair.delete(top.key);
    for (const pair of changed) {
      const count = pairCounts.get(pair);
      if (count !== undefined) heap.push(pair, count);
    }
    changed.clear();
  }
  return { merges, tokens };
}
