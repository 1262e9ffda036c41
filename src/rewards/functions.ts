import { allMatches } from '../dataset/formats/matches';
import { extractAnswer } from './answer';

/** One `func(obj, value)` item of a transformation answer. */
interface Item {
  func: string;
  obj: string;
  value: string;
}

/** Reason-RFT's item pattern `(\w+)\((\w+),\s*'?(\w+)'?\)`, with Python's Unicode `\w`. */
const ITEM = /([\p{L}\p{N}_]+)\(([\p{L}\p{N}_]+),\s*'?([\p{L}\p{N}_]+)'?\)/gu;

function readItems(text: string): Item[] {
  return allMatches(text, ITEM).map(([, func, obj, value]) => ({ func, obj, value }));
}

/** How many `func(obj, value)` items a text lists: whether a ground truth is a function list. */
export function functionItemCount(text: string): number {
  return readItems(text).length;
}

function unique(items: Item[]): Item[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = JSON.stringify([item.func, item.obj, item.value]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The match tiers, best first, and the credit of each (methods.md §5). */
const TIERS: { credit: number; same(a: Item, b: Item): boolean }[] = [
  { credit: 1, same: (a, b) => a.func === b.func && a.obj === b.obj && a.value === b.value },
  { credit: 0.5, same: (a, b) => a.func === b.func && a.obj === b.obj },
  { credit: 0.5, same: (a, b) => a.func === b.func && a.value === b.value },
  { credit: 0.25, same: (a, b) => a.func === b.func },
];

/**
 * Reason-RFT function-list partial credit (methods.md §5, `func_accuracy_reward` in its code): items of the
 * extracted answer and of the ground truth, each list deduplicated; item weight = (unique / all predicted) /
 * max(|unique predicted|, |unique gt|). Tier by tier, each predicted item in order takes the first unused
 * ground-truth item it matches: exact 1, same func+obj 0.5, same func+value 0.5, same func 0.25. No predicted
 * item scores 0 (the original's division by zero, caught).
 */
export function functionListCredit(output: string, groundTruth: string): number {
  const all = readItems(extractAnswer(output).text);
  if (all.length === 0) return 0;
  const predicted = unique(all);
  const truth = unique(readItems(groundTruth));
  const weight = predicted.length / all.length / Math.max(predicted.length, truth.length);
  const freePredicted = new Set(predicted.keys());
  const freeTruth = new Set(truth.keys());
  let credit = 0;
  for (const tier of TIERS) {
    for (const p of freePredicted) {
      const t = [...freeTruth].find((index) => tier.same(predicted[p], truth[index]));
      if (t === undefined) continue;
      freePredicted.delete(p);
      freeTruth.delete(t);
      credit += tier.credit * weight;
    }
  }
  return credit;
}
