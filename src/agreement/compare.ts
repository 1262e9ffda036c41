import { type AlphaMetric, cohenKappa, fleissKappa, krippendorffAlpha } from './statistics';

/** One annotator's labels of one dataset: each record's step ratings by segment key, and its review status. */
export interface AnnotatorLabels {
  name: string;
  /** By record key (`id`, or a hash of the record without its annotations). */
  records: Map<string, { steps: Map<string, number>; review: string | null }>;
}

/** The agreement figures of one kind of label (steps, review status), by name as `--json` prints them. */
export interface AgreementFigures {
  /** Items at least two annotators labelled. */
  items: number;
  labels: number;
  /** Share of pairs of labels of one item that are equal. */
  percentAgreement: number | null;
  /** Defined for exactly two annotators. */
  cohenKappa: number | null;
  fleissKappa: number | null;
  krippendorffAlpha: number | null;
}

export interface AgreementReport {
  annotators: Array<{ name: string; records: number; steps: number; reviews: number; stepAgreementWithOthers: number | null }>;
  records: { matched: number; inOneOnly: number };
  /** Steps: ordinal (-1 < 0 < +1) for alpha, nominal for the kappas. */
  steps: AgreementFigures;
  /** Review status (accepted, rejected, needs fix; unreviewed is no label): nominal. */
  review: AgreementFigures;
  /** Step agreement by the step's position in its reply (1-based). */
  byPosition: Array<{ position: number } & AgreementFigures>;
  /** Cohen's kappa of steps for each pair of annotators. */
  pairs: Array<{ annotators: [string, string]; items: number; cohenKappa: number | null }>;
}

/** An item's labels, one per annotator (null: that annotator gave none). */
type Item = Array<string | number | null>;

function figures(items: readonly Item[], metric: AlphaMetric): AgreementFigures {
  const pairable = items.filter((item) => item.filter((label) => label !== null).length >= 2);
  const categories = [...new Set(pairable.flat().filter((label): label is string | number => label !== null))];
  let agreeing = 0;
  let pairs = 0;
  for (const item of pairable) {
    const given = item.filter((label) => label !== null);
    for (let i = 0; i < given.length; i++)
      for (let j = i + 1; j < given.length; j++) {
        pairs++;
        if (given[i] === given[j]) agreeing++;
      }
  }
  // Alpha needs numbers: an ordinal metric orders the ratings themselves, a nominal one only tells them apart.
  const number = (label: string | number | null): number | null => (label === null ? null : typeof label === 'number' ? label : categories.indexOf(label));
  return {
    items: pairable.length,
    labels: pairable.flat().filter((label) => label !== null).length,
    percentAgreement: pairs === 0 ? null : agreeing / pairs,
    cohenKappa: items[0]?.length === 2 ? cohenKappa(pairable.map((item) => [item[0] ?? null, item[1] ?? null] as const)) : null,
    fleissKappa: fleissKappa(pairable.map((item) => categories.map((category) => item.filter((label) => label === category).length))),
    krippendorffAlpha: krippendorffAlpha(
      pairable.map((item) => item.map(number)),
      metric,
    ),
  };
}

/** A segment key's position in its reply, 1-based: the index after the last colon (`turn1:2`, `rejected:2`). */
const positionOf = (key: string): number => Number(key.slice(key.lastIndexOf(':') + 1)) + 1;

/**
 * Agreement among annotators' copies of one dataset: records matched by key, steps by segment key, over the
 * records at least two of them hold.
 */
export function compareAnnotators(annotators: readonly AnnotatorLabels[]): AgreementReport {
  const keys = new Set(annotators.flatMap((annotator) => [...annotator.records.keys()]));
  const shared = [...keys].filter((key) => annotators.filter((annotator) => annotator.records.has(key)).length >= 2);
  const stepItems: Array<{ position: number; labels: Item }> = [];
  const reviewItems: Item[] = [];
  for (const key of shared) {
    const held = annotators.map((annotator) => annotator.records.get(key));
    const segments = new Set(held.flatMap((record) => (record ? [...record.steps.keys()] : [])));
    for (const segment of segments) stepItems.push({ position: positionOf(segment), labels: held.map((record) => record?.steps.get(segment) ?? null) });
    reviewItems.push(held.map((record) => record?.review ?? null));
  }
  const steps = stepItems.map((item) => item.labels);
  const positions = [...new Set(stepItems.map((item) => item.position))].sort((a, b) => a - b);
  const pairs: AgreementReport['pairs'] = [];
  annotators.forEach((a, i) => {
    annotators.slice(i + 1).forEach((b, offset) => {
      const j = i + 1 + offset;
      const both = steps.map((item) => [item[i] ?? null, item[j] ?? null] as const).filter(([x, y]) => x !== null && y !== null);
      pairs.push({ annotators: [a.name, b.name], items: both.length, cohenKappa: cohenKappa(both) });
    });
  });
  return {
    annotators: annotators.map((annotator, i) => {
      const records = [...annotator.records.values()];
      let agreeing = 0;
      let compared = 0;
      for (const item of steps) {
        const own = item[i];
        if (own === null || own === undefined) continue;
        for (const [j, other] of item.entries()) {
          if (j === i || other === null) continue;
          compared++;
          if (other === own) agreeing++;
        }
      }
      return {
        name: annotator.name,
        records: records.length,
        steps: records.reduce((sum, record) => sum + record.steps.size, 0),
        reviews: records.filter((record) => record.review !== null).length,
        stepAgreementWithOthers: compared === 0 ? null : agreeing / compared,
      };
    }),
    records: { matched: shared.length, inOneOnly: keys.size - shared.length },
    steps: figures(steps, 'ordinal'),
    review: figures(reviewItems, 'nominal'),
    byPosition: positions.map((position) => ({
      position,
      ...figures(
        stepItems.filter((item) => item.position === position).map((item) => item.labels),
        'ordinal',
      ),
    })),
    pairs,
  };
}
