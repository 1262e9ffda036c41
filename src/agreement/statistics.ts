/**
 * Chance-corrected agreement between annotators: Cohen's kappa (two, nominal), Fleiss' kappa (any number per item,
 * nominal) and Krippendorff's alpha (any number, missing labels allowed, nominal / ordinal / interval). Each is
 * null where it is undefined: too few pairable labels, or no variation to correct for.
 */

/** Cohen's (1960) kappa of two annotators' labels of the same items; pairs with a missing side are left out. */
export function cohenKappa(pairs: ReadonlyArray<readonly [string | number | null, string | number | null]>): number | null {
  const both = pairs.filter((pair): pair is readonly [string | number, string | number] => pair[0] !== null && pair[1] !== null);
  if (both.length === 0) return null;
  const first = new Map<string | number, number>();
  const second = new Map<string | number, number>();
  let agreed = 0;
  for (const [a, b] of both) {
    first.set(a, (first.get(a) ?? 0) + 1);
    second.set(b, (second.get(b) ?? 0) + 1);
    if (a === b) agreed++;
  }
  const n = both.length;
  let chance = 0;
  for (const [label, count] of first) chance += (count / n) * ((second.get(label) ?? 0) / n);
  if (chance === 1) return null;
  return (agreed / n - chance) / (1 - chance);
}

/**
 * Fleiss' (1971) kappa from each item's count of labels per category. Items may have different numbers of labels
 * (each item's agreement is over its own pairs, the categories' shares over all labels); items with fewer than two
 * are left out. With the same number on every item it is Fleiss' statistic exactly.
 */
export function fleissKappa(counts: ReadonlyArray<ReadonlyArray<number>>): number | null {
  const items = counts.filter((row) => row.reduce((sum, count) => sum + count, 0) >= 2);
  if (items.length === 0) return null;
  const categories = Math.max(...items.map((row) => row.length));
  const totals = new Array<number>(categories).fill(0);
  let labels = 0;
  let observed = 0;
  for (const row of items) {
    const n = row.reduce((sum, count) => sum + count, 0);
    row.forEach((count, category) => {
      totals[category] = (totals[category] ?? 0) + count;
    });
    labels += n;
    observed += (row.reduce((sum, count) => sum + count * count, 0) - n) / (n * (n - 1));
  }
  observed /= items.length;
  const chance = totals.reduce((sum, total) => sum + (total / labels) ** 2, 0);
  if (chance === 1) return null;
  return (observed - chance) / (1 - chance);
}

export type AlphaMetric = 'nominal' | 'ordinal' | 'interval';

/**
 * Krippendorff's alpha over units (items), each with the values its coders gave (null where a coder gave none), by
 * the coincidence matrix of Krippendorff (2011, "Computing Krippendorff's Alpha-Reliability"): alpha =
 * 1 - (n - 1) * sum o_ck d_ck / sum n_c n_k d_ck, over units with two or more values.
 */
export function krippendorffAlpha(units: ReadonlyArray<ReadonlyArray<number | null>>, metric: AlphaMetric): number | null {
  const pairable = units.map((unit) => unit.filter((value): value is number => value !== null)).filter((values) => values.length >= 2);
  const values = [...new Set(pairable.flat())].sort((a, b) => a - b);
  if (values.length === 0) return null;
  const index = new Map(values.map((value, i) => [value, i]));
  const size = values.length;
  const coincidences = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  for (const unit of pairable) {
    const weight = 1 / (unit.length - 1);
    for (let i = 0; i < unit.length; i++) {
      for (let j = 0; j < unit.length; j++) {
        if (i === j) continue;
        const row = coincidences[index.get(unit[i] as number) as number] as number[];
        const column = index.get(unit[j] as number) as number;
        row[column] = (row[column] ?? 0) + weight;
      }
    }
  }
  const marginals = coincidences.map((row) => row.reduce((sum, value) => sum + value, 0));
  const n = marginals.reduce((sum, value) => sum + value, 0);
  const distance = (c: number, k: number): number => {
    if (metric === 'nominal') return c === k ? 0 : 1;
    if (metric === 'interval') return ((values[c] as number) - (values[k] as number)) ** 2;
    // Ordinal: the squared number of values (by their marginals) between the two, halving the ends.
    const [low, high] = c < k ? [c, k] : [k, c];
    let between = 0;
    for (let g = low; g <= high; g++) between += marginals[g] as number;
    return (between - ((marginals[c] as number) + (marginals[k] as number)) / 2) ** 2;
  };
  let disagreement = 0;
  let expected = 0;
  for (let c = 0; c < size; c++) {
    for (let k = 0; k < size; k++) {
      const d = distance(c, k);
      disagreement += (coincidences[c]?.[k] ?? 0) * d;
      expected += (marginals[c] as number) * (marginals[k] as number) * d;
    }
  }
  if (expected === 0) return null;
  return 1 - ((n - 1) * disagreement) / expected;
}
