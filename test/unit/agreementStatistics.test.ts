import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cohenKappa, fleissKappa, krippendorffAlpha } from '../../src/agreement/statistics';

/** Each item's count of labels per category, from each rater's label (1-based categories). */
function countsOf(rows: number[][], categories: number): number[][] {
  return rows.map((row) => Array.from({ length: categories }, (_, category) => row.filter((label) => label === category + 1).length));
}

describe('agreement statistics', () => {
  it("Cohen's kappa: by hand, and SAS's worked example (a 3 x 3 table, kappa 0.4842)", () => {
    // By hand: 10 items, 8 agree; each rater says yes 5 times: chance 0.5, kappa (0.8 - 0.5) / 0.5 = 0.6.
    const rater = ['y', 'y', 'y', 'y', 'y', 'n', 'n', 'n', 'n', 'n'];
    const other = ['y', 'y', 'y', 'y', 'n', 'n', 'n', 'n', 'y', 'n'];
    const pairs = rater.map((label, i) => [label, other[i] as string] as const);
    assert.ok(Math.abs((cohenKappa([...pairs, ['y', null]]) ?? Number.NaN) - 0.6) < 1e-12, 'a missing side is left out');
    // SAS's example as statsmodels tests it: rows rater 1, columns rater 2.
    const table = [
      [0, 4, 1],
      [0, 8, 0],
      [0, 1, 5],
    ];
    const fromTable = table.flatMap((row, a) => row.flatMap((count, b) => Array.from({ length: count }, () => [a, b] as const)));
    assert.equal(Number(cohenKappa(fromTable)?.toFixed(4)), 0.4842);
    assert.equal(cohenKappa([['y', 'y']]), null, 'no variation to correct for');
  });

  it("Fleiss' kappa: Fleiss' own 1971 table (30 patients, 6 psychiatrists, kappa 0.430) and Wikipedia's (0.210)", () => {
    // Fleiss (1971) Table 1, as the irr package's `diagnoses` gives it: each patient's six diagnoses, categories 1-5.
    const diagnoses = [
      [4, 4, 4, 4, 4, 4],
      [2, 2, 2, 5, 5, 5],
      [2, 3, 3, 3, 3, 5],
      [5, 5, 5, 5, 5, 5],
      [2, 2, 2, 4, 4, 4],
      [1, 1, 3, 3, 3, 3],
      [3, 3, 3, 3, 5, 5],
      [1, 1, 3, 3, 3, 4],
      [1, 1, 4, 4, 4, 4],
      [5, 5, 5, 5, 5, 5],
      [1, 4, 4, 4, 4, 4],
      [1, 2, 4, 4, 4, 4],
      [2, 2, 2, 3, 3, 3],
      [1, 4, 4, 4, 4, 4],
      [2, 2, 4, 4, 4, 5],
      [3, 3, 3, 3, 3, 5],
      [1, 1, 1, 4, 5, 5],
      [1, 1, 1, 1, 1, 2],
      [2, 2, 4, 4, 4, 4],
      [1, 3, 3, 5, 5, 5],
      [5, 5, 5, 5, 5, 5],
      [2, 4, 4, 4, 4, 4],
      [2, 2, 4, 5, 5, 5],
      [1, 1, 4, 4, 4, 4],
      [1, 4, 4, 4, 4, 5],
      [2, 2, 2, 2, 2, 4],
      [1, 1, 1, 1, 5, 5],
      [2, 2, 4, 4, 4, 4],
      [1, 3, 3, 3, 3, 3],
      [5, 5, 5, 5, 5, 5],
    ];
    assert.equal(Number(fleissKappa(countsOf(diagnoses, 5))?.toFixed(7)), 0.4302445);
    const wikipedia = [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0],
      [3, 2, 6, 3, 0],
      [2, 5, 3, 2, 2],
      [6, 5, 2, 1, 0],
      [0, 2, 2, 3, 7],
    ];
    assert.equal(Number(fleissKappa(wikipedia)?.toFixed(3)), 0.21);
    // With two raters on every item it is Scott's pi; by hand: 4 items, 2 agree, shares 1/2: (0.5 - 0.5) / 0.5 = 0.
    assert.equal(
      fleissKappa([
        [2, 0],
        [0, 2],
        [1, 1],
        [1, 1],
      ]),
      0,
    );
  });

  it("Krippendorff's alpha: his own worked example (4 coders, 12 units, missing values) for each metric", () => {
    // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the example with missing data: coders
    // A-D by unit (null: the coder gave no value).
    const _ = null;
    const coders = [
      [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
      [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
      [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
      [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
    ];
    const units = (coders[0] as (number | null)[]).map((_, unit) => coders.map((coder) => coder[unit] ?? null));
    assert.equal(Number(krippendorffAlpha(units, 'nominal')?.toFixed(3)), 0.743);
    assert.equal(Number(krippendorffAlpha(units, 'ordinal')?.toFixed(3)), 0.815);
    assert.equal(Number(krippendorffAlpha(units, 'interval')?.toFixed(3)), 0.849);
    // By hand: two coders, two units, full agreement is 1; a unit with one value is left out.
    assert.equal(
      krippendorffAlpha(
        [
          [1, 1],
          [-1, -1],
          [0, null],
        ],
        'ordinal',
      ),
      1,
    );
    assert.equal(
      krippendorffAlpha(
        [
          [1, 1],
          [1, 1],
        ],
        'nominal',
      ),
      null,
      'no variation to correct for',
    );
  });
});
